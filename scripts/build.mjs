// Transpiles the TypeScript sources to dist/ (one .js per .ts, layout kept) with esbuild, writes the JSON
// Schema of chatctl.json from the zod schema, and oclif.manifest.json (so --help imports no command).
// Type checking is `npm run typecheck`; keeping it out of the build keeps `npm ci` and `npm test` fast.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundleStartupPackages, writeCodeCaches } from './bundle-startup.mjs';

const sourceDirs = ['bin', 'core', 'runtime', 'stacks', 'sandbox', 'cli'];
// The console page runs in the browser: bundled on its own (below), not transpiled file by file.
const consolePage = join('sandbox', 'console', 'page');

function listTs(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path === consolePage) continue;
    if (statSync(path).isDirectory()) out.push(...listTs(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

rmSync('dist', { recursive: true, force: true });
const entryPoints = sourceDirs.filter((dir) => existsSync(dir)).flatMap((dir) => listTs(dir));
await build({
  entryPoints,
  outdir: 'dist',
  outbase: '.',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
console.log(`built ${entryPoints.length} files into dist/`);
await bundleStartupPackages();
console.log('bundled the packages a command loads at start-up into dist/bundled/');

// The console page: one bundle (preact and htm inside), its HTML and CSS, so it loads nothing from the network.
const pageOut = join('dist', consolePage);
await build({
  entryPoints: [join(consolePage, 'app.ts')],
  bundle: true,
  outfile: join(pageOut, 'app.js'),
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css']) copyFileSync(join(consolePage, file), join(pageOut, file));
console.log(`built the console page into ${pageOut}/`);

const { writeTopologySchema } = await import(pathToFileURL('dist/core/topology-schema.js').href);
console.log(`wrote ${relative(process.cwd(), await writeTopologySchema())}`);

// The manifest, without oclif's "update available" notice (and its background registry lookup): nothing
// a user of this repo can act on.
const oclif = join(createRequire(import.meta.url).resolve('oclif/package.json'), '..', 'bin', 'run.js');
const manifest = spawnSync(process.execPath, [oclif, 'manifest'], {
  stdio: 'inherit',
  env: { ...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true' },
});
if (manifest.status !== 0) process.exit(manifest.status ?? 1);

writeCodeCaches();
console.log('wrote the code caches of dist/bundled/');
