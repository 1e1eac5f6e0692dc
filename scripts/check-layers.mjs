// Enforces the layer rule of docs/architecture.md: core <- runtime <- sandbox <- cli and core <- stacks <- cli.
// Also keeps aws-cdk-lib out of every layer but stacks/ and the commands that synthesize or deploy.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const allowed = {
  core: ['core'],
  runtime: ['core', 'runtime'],
  stacks: ['core', 'stacks'],
  sandbox: ['core', 'runtime', 'sandbox'],
  cli: ['core', 'runtime', 'sandbox', 'stacks', 'cli'],
  bin: ['core', 'stacks', 'cli', 'bin'],
};
// Only these may import aws-cdk-lib / @aws-cdk/toolkit-lib (statically or dynamically).
const cdkAllowed = [/^stacks\//, /^bin\/cdk\.ts$/, /^cli\/ops\/deploy\//];

const root = process.cwd();
const problems = [];
const importRe =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(ts|js|mjs)$/.test(name)) check(path);
  }
}

function check(file) {
  const rel = relative(root, file);
  const layer = rel.split('/')[0];
  const source = readFileSync(file, 'utf8');
  for (const match of source.matchAll(importRe)) {
    const spec = match[1] ?? match[2] ?? match[3];
    if (spec.startsWith('.')) {
      const target = relative(root, resolve(dirname(file), spec)).split('/')[0];
      if (!allowed[layer].includes(target)) {
        problems.push(
          `${rel}: imports ${spec} (layer ${target}); ${layer}/ may import only ${allowed[layer].join(', ')}`,
        );
      }
    } else if (
      /^(aws-cdk-lib|@aws-cdk\/toolkit-lib|cdk-nag)(\/|$)/.test(spec) &&
      !cdkAllowed.some((re) => re.test(rel))
    ) {
      problems.push(`${rel}: imports ${spec}; only stacks/ and the synth/deploy ops may load the CDK`);
    }
  }
}

for (const layer of Object.keys(allowed)) {
  try {
    walk(join(root, layer));
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
}
if (problems.length > 0) {
  console.error(`Layer rule broken (see docs/architecture.md, Layers):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layers ok');
