#!/usr/bin/env node
// Rewrites a bundle's source map so that its `sources` are relative to the project root instead of to the
// bundling folder: esbuild writes them relative to its output folder, so the same code bundled from another
// checkout folder (or with another cdk.out) gave a different map, a different asset hash, and a deploy that
// updated every function. Usage: normalize-sourcemap.mjs <bundle output folder> <project root>
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

const [outputDir, projectRoot] = process.argv.slice(2);
if (!outputDir || !projectRoot) {
  console.error('usage: normalize-sourcemap.mjs <bundle output folder> <project root>');
  process.exit(2);
}
for (const file of readdirSync(outputDir)) {
  if (!file.endsWith('.map')) continue;
  const path = join(outputDir, file);
  const map = JSON.parse(readFileSync(path, 'utf8'));
  map.sources = (map.sources ?? []).map((source) =>
    relative(resolve(projectRoot), resolve(outputDir, map.sourceRoot ?? '', source))
      .split(sep)
      .join('/'),
  );
  map.sourceRoot = '';
  const temp = `${path}.tmp`;
  writeFileSync(temp, JSON.stringify(map));
  renameSync(temp, path);
}
