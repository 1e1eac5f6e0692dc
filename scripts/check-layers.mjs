// Enforces the layer rule of docs/architecture.md: core <- runtime <- sandbox <- cli and core <- stacks <- cli.
// Also keeps aws-cdk-lib out of every layer but stacks/ and the commands that synthesize or deploy, and holds
// the CLI's inner boundaries: only cli/ops/aws/ creates AWS clients, and only cli/ops/routing/ changes health
// checks, record sets or distributions (so one routine, with its safety rules, changes routing).
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

// Inside cli/: who may make an AWS SDK client, and who may send a command that changes routing.
const clientMakers = /^cli\/ops\/aws\//;
const routingChangers = /^cli\/ops\/routing\//;
const sdkImportRe = /import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"](@aws-sdk\/client-[\w-]+)['"]/g;
// A run-time import that takes a client class out of the module, or a client made from a module namespace.
const sdkDynamicRe = /\{([^}]*)\}\s*=\s*await\s+import\s*\(\s*['"](@aws-sdk\/client-[\w-]+)['"]\s*\)/g;
const namespaceClientRe = /new\s+[A-Za-z_$][\w$]*\.([A-Z][\w$]*Client)\s*\(/g;
const routingChange = /^(Update|Create|Delete|Change)\w*Command$/;
const routingServices = new Set(['@aws-sdk/client-route-53', '@aws-sdk/client-cloudfront']);

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

function checkCliBoundaries(rel, source) {
  for (const match of source.matchAll(sdkImportRe)) {
    const [, typeOnly, list, module] = match;
    const bindings = list
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean)
      .filter((b) => !typeOnly && !b.startsWith('type '))
      .map((b) => b.split(/\s+as\s+/)[0].trim());
    for (const name of bindings) {
      if (/Client$/.test(name) && !clientMakers.test(rel)) {
        problems.push(
          `${rel}: imports ${name} from ${module}; only cli/ops/aws/ makes AWS clients (aws/clients.ts)`,
        );
      }
      if (routingServices.has(module) && routingChange.test(name) && !routingChangers.test(rel)) {
        problems.push(`${rel}: imports ${name} from ${module}; only cli/ops/routing/ changes routing`);
      }
    }
  }
  if (clientMakers.test(rel)) return;
  for (const match of source.matchAll(sdkDynamicRe)) {
    const names = match[1].split(',').map((b) => b.split(':')[0].trim());
    for (const name of names.filter((n) => /Client$/.test(n))) {
      problems.push(
        `${rel}: takes ${name} from ${match[2]} at run time; only cli/ops/aws/ makes AWS clients`,
      );
    }
  }
  for (const match of source.matchAll(namespaceClientRe)) {
    problems.push(`${rel}: makes a ${match[1]}; only cli/ops/aws/ makes AWS clients (aws/clients.ts)`);
  }
}

function check(file) {
  const rel = relative(root, file);
  const layer = rel.split('/')[0];
  const source = readFileSync(file, 'utf8');
  if (layer === 'cli') checkCliBoundaries(rel, source);
  for (const match of source.matchAll(importRe)) {
    const spec = match[1] ?? match[2] ?? match[3];
    if (spec.startsWith('.')) {
      const target = relative(root, resolve(dirname(file), spec)).split('/')[0];
      // The CLI's entry point runs the build's output: oclif's core as dist/bundled/ holds it, and the CLI's
      // error reporter (cli/errors.ts) for an error no command caught.
      const builtEntry =
        rel === 'bin/run.js' && (spec.startsWith('../dist/bundled/') || spec === '../dist/cli/errors.js');
      if (!allowed[layer].includes(target) && !builtEntry) {
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
  console.error(
    `Layer rule broken (see docs/architecture.md, Layers and The CLI):\n  ${problems.join('\n  ')}`,
  );
  process.exit(1);
}
console.log('layers ok');
