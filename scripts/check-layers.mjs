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
// Only these may import aws-cdk-lib / @aws-cdk/toolkit-lib (statically or dynamically); in test/ and bench/,
// only the tests and benchmarks of those.
const cdkAllowed = [
  /^stacks\//,
  /^bin\/cdk\.ts$/,
  /^cli\/ops\/deploy\//,
  /^test\/stacks\//,
  /^test\/cli\/ops\/deploy\//,
  /^test\/cli\/commands\/deploy\.test\.ts$/,
  /^bench\/synth\.bench\.ts$/,
];
// Whole paths: within cli/, only the synth and deploy ops reach stacks/ (loading the CDK for those commands only).
const stacksReachers = /^cli\/ops\/deploy\//;
// Tests mirror the source tree: test/<path>/ tests <path>/. Besides, test/support/ holds their helpers and
// test/sandbox/security/ the hostile-input tests that cross every service of the sandbox.
const testFoldersWithoutSource = [/^test\/support(\/|$)/, /^test\/sandbox\/security(\/|$)/];

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

/** test/ and bench/ are the outermost layer: they may import every layer, keep the CDK rule and mirror the tree. */
function checkTestPlacement(rel) {
  if (!rel.startsWith('test/')) return;
  const folder = dirname(rel);
  if (folder === 'test' || testFoldersWithoutSource.some((re) => re.test(folder))) return;
  const mirrored = folder.slice('test/'.length);
  if (!isDirectory(join(root, mirrored))) {
    problems.push(
      `${rel}: test/${mirrored}/ mirrors no source folder ${mirrored}/; tests mirror the source tree`,
    );
  }
}

function isDirectory(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Relative imports of every file, for the circle check: file -> files it imports (types included). */
const graph = new Map();

function check(file) {
  const rel = relative(root, file);
  const layer = rel.split('/')[0];
  const source = readFileSync(file, 'utf8');
  if (layer === 'cli') checkCliBoundaries(rel, source);
  const outer = layer === 'test' || layer === 'bench';
  if (outer) checkTestPlacement(rel);
  const edges = new Set();
  if (!outer) graph.set(rel, edges);
  for (const match of source.matchAll(importRe)) {
    const spec = match[1] ?? match[2] ?? match[3];
    if (outer && spec.startsWith('.')) continue;
    if (spec.startsWith('.')) {
      const targetPath = relative(root, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
      edges.add(targetPath);
      const target = targetPath.split('/')[0];
      if (layer === 'cli' && target === 'stacks' && !stacksReachers.test(rel)) {
        problems.push(
          `${rel}: imports ${spec}; within cli/, only cli/ops/deploy/ (synth and deploy) reaches stacks/`,
        );
      }
      // The CLI's entry point runs the build's output: oclif's core as dist/bundled/ holds it, and the CLI's
      // error reporter (cli/errors.ts) for an error no command caught.
      const builtEntry =
        rel === 'bin/run.js' && (spec.startsWith('../dist/bundled/') || spec === '../dist/cli/errors.js');
      if (!outer && !allowed[layer].includes(target) && !builtEntry) {
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

/** Every import circle among the source files (Tarjan's strongly connected components of more than one file). */
function importCircles() {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const circles = [];
  let next = 0;
  const visit = (node) => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!graph.has(to)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node), low.get(to)));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node), index.get(to)));
    }
    if (low.get(node) !== index.get(node)) return;
    const members = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      members.push(member);
    } while (member !== node);
    if (members.length > 1) circles.push(members.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return circles;
}

for (const layer of [...Object.keys(allowed), 'test', 'bench']) {
  try {
    walk(join(root, layer));
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
}
for (const circle of importCircles()) {
  problems.push(
    `import circle: ${circle.join(', ')} import each other (move what they share into a module of its own)`,
  );
}
if (problems.length > 0) {
  console.error(
    `Layer rule broken (see docs/architecture.md, Layers and The CLI):\n  ${problems.join('\n  ')}`,
  );
  process.exit(1);
}
console.log('layers ok');
