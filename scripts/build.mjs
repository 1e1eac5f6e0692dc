// Transpiles the TypeScript sources to dist/ (one .js per .ts, layout kept) with esbuild.
// Type checking is `npm run typecheck`; keeping it out of the build keeps `npm ci` and `npm test` fast.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const sourceDirs = ['bin', 'core', 'runtime', 'stacks', 'sandbox', 'cli'];

function listTs(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
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
