/**
 * The Lambda handlers' bundles: every `runtime/handlers/<route>.ts` in one esbuild run (they share the AWS SDK
 * and the runtime, parsed once), each into `<route>/index.mjs` with its source map. Every region's function of a
 * route uses the same folder, so the CDK stages one asset per route however many regions there are. The result is
 * cached under the source's hash: a synth whose sources did not change bundles nothing.
 *
 * The cache (node_modules/.cache/chatctl-handlers/<options hash>/<inputs hash>/) holds the bundles and the hash
 * of every file esbuild read; a set is used only when each of those files still has that hash.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { OPS_HANDLERS, type OpsHandler } from '../core/observability.js';
import { ROUTES, type Route } from '../core/protocol.js';

export type HandlerName = Route | OpsHandler;
export const HANDLERS: readonly HandlerName[] = [...ROUTES, ...OPS_HANDLERS];

/** Makes an ESM bundle able to `require()` the CommonJS parts of its dependencies. */
const ESM_REQUIRE_SHIM =
  "import { createRequire as __chatctlCreateRequire } from 'node:module'; const require = __chatctlCreateRequire(import.meta.url);";

/** Where each handler's bundle is: `<directory>/<handler>/index.mjs` (Lambda handler `index.handler`). */
export interface HandlerBundles {
  readonly directory: string;
}

interface CacheRecord {
  /** Project-relative path -> sha256 of every file esbuild read. */
  readonly inputs: Record<string, string>;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function buildOptions(projectRoot: string, outdir: string) {
  return {
    entryPoints: HANDLERS.map((name) => ({
      in: join(projectRoot, 'runtime', 'handlers', `${name}.ts`),
      out: `${name}/index`,
    })),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm' as const,
    platform: 'node' as const,
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    // The AWS SDK is bundled too: the versions tested here, not whatever the Lambda runtime ships.
    banner: { js: ESM_REQUIRE_SHIM },
    metafile: true,
    logLevel: 'warning' as const,
    absWorkingDir: projectRoot,
  };
}

/** The cache's folder name: the options and esbuild's version (a change of either is another cache). */
async function optionsKey(): Promise<string> {
  const { version } = await import('esbuild');
  const options = buildOptions('.', '.');
  return sha256(JSON.stringify({ version, options })).slice(0, 16);
}

async function stillValid(projectRoot: string, cached: string): Promise<boolean> {
  try {
    const record = JSON.parse(readFileSync(join(cached, 'inputs.json'), 'utf8')) as CacheRecord;
    if (!HANDLERS.every((name) => existsSync(join(cached, name, 'index.mjs')))) return false;
    const entries = Object.entries(record.inputs);
    const hashes = await Promise.all(entries.map(([path]) => readFile(join(projectRoot, path)).then(sha256)));
    return entries.every(([, hash], index) => hashes[index] === hash);
  } catch {
    return false;
  }
}

/**
 * Source maps name their sources relative to the project root, not to the bundle's folder: the same code then
 * gives the same asset (and no function update at deploy) whatever folder it was bundled in.
 */
function normalizeSourceMaps(projectRoot: string, outdir: string): void {
  for (const name of HANDLERS) {
    const path = join(outdir, name, 'index.mjs.map');
    const map = JSON.parse(readFileSync(path, 'utf8')) as { sources?: string[]; sourceRoot?: string };
    map.sources = (map.sources ?? []).map((source) =>
      relative(projectRoot, resolve(outdir, name, map.sourceRoot ?? '', source))
        .split(sep)
        .join('/'),
    );
    map.sourceRoot = '';
    writeFileSync(path, JSON.stringify(map));
  }
}

/** The cache folder, or a fresh temporary one when node_modules cannot be written (an installed chatctl). */
function cacheRoot(projectRoot: string): string {
  const preferred = join(projectRoot, 'node_modules', '.cache', 'chatctl-handlers');
  try {
    mkdirSync(preferred, { recursive: true });
    return preferred;
  } catch {
    return join(tmpdir(), 'chatctl-handlers');
  }
}

/** How many sets of bundles the cache keeps (the newest): other checkouts or branches sharing node_modules. */
const KEEP = 4;

/** The cache's sets of bundles, newest first. */
function cachedSets(cache: string): string[] {
  try {
    return readdirSync(cache, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && /^[0-9a-f]{16}$/.test(entry.name))
      .map((entry) => join(cache, entry.name))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  } catch {
    return [];
  }
}

/**
 * Bundles every handler (or finds the bundles of the same sources in the cache). `cacheDir`: where the cache
 * is kept (default node_modules/.cache/chatctl-handlers of the project).
 *
 * A set of bundles is never changed once in the cache (it is named by the hash of its inputs), so a synth still
 * staging one is not disturbed by another synth of other sources.
 */
export async function bundleHandlers(
  projectRoot: string,
  options: { cacheDir?: string } = {},
): Promise<HandlerBundles> {
  const root = resolve(projectRoot);
  const cache = join(options.cacheDir ?? cacheRoot(root), await optionsKey());
  const sets = cachedSets(cache);
  for (const set of sets) {
    if (await stillValid(root, set)) return { directory: set };
  }

  const { build } = await import('esbuild');
  // Built beside the cache and moved in whole, so a concurrent synth never reads half a set.
  mkdirSync(cache, { recursive: true });
  const building = join(cache, `building-${process.pid}-${Date.now()}`);
  try {
    const result = await build(buildOptions(root, building));
    normalizeSourceMaps(root, building);
    const inputs: Record<string, string> = {};
    for (const path of Object.keys(result.metafile?.inputs ?? {}).sort()) {
      inputs[path] = sha256(await readFile(join(root, path)));
    }
    writeFileSync(join(building, 'inputs.json'), JSON.stringify({ inputs } satisfies CacheRecord));
    const set = join(cache, sha256(JSON.stringify(inputs)).slice(0, 16));
    try {
      renameSync(building, set);
    } catch {
      // Another synth of the same sources put the same bundles there first; or a damaged set is replaced.
      if (!(await stillValid(root, set))) {
        rmSync(set, { recursive: true, force: true });
        renameSync(building, set);
      }
    }
    for (const old of sets.slice(KEEP - 1)) rmSync(old, { recursive: true, force: true });
    return { directory: set };
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
}
