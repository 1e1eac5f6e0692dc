/**
 * `chatctl health` against the sandbox with added latency on one region:
 * - parallelism: the checks phase of the command divided by its slowest single check (1.0 = perfectly
 *   parallel; aim <= 1.3), and the wall time of all regions divided by `health --region <slow>` alone;
 * - start-up cost: from process start to the first probe sent (the JSON's startupMs), next to bare node.
 * The built CLI runs as a child process (spawned asynchronously: the sandbox runs in this process).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { HealthResult } from '../cli/ops/checks/verdict.js';
import { defaultTopology, serializeTopology } from '../core/topology.js';
import { start } from '../sandbox/index.js';
import { writeSandboxState } from '../sandbox/state.js';
import { fmt, median, row } from './support.js';

const SLOW_REGION = 'na';
const ADDED_LATENCY_MS = 400;
const RUNS = 5;

function spawnTimed(
  cwd: string,
  args: string[],
): Promise<{ ms: number; stdout: string; code: number | null }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  delete env.CHATCTL_CONFIG;
  env.CHATCTL_HOME = join(cwd, '.chatctl');
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn('node', args, { cwd, env, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.once('error', fail);
    child.once('close', (code) => done({ ms: performance.now() - started, stdout, code }));
  });
}

export async function run(): Promise<void> {
  const cwd = await mkdtemp(join(tmpdir(), 'chatctl-bench-health-'));
  const topology = defaultTopology();
  const sandbox = await start(topology, { port: 0, onError: () => {} });
  const bin = resolve('bin/run.js');
  try {
    await writeFile(join(cwd, 'chatctl.json'), serializeTopology(topology));
    await writeSandboxState(sandbox.state, join(cwd, '.chatctl', 'sandbox.json'));
    sandbox.faults.inject(SLOW_REGION, `latency=${ADDED_LATENCY_MS}`);
    const health = async (...extra: string[]) => {
      const out = await spawnTimed(cwd, [bin, 'health', '--json', ...extra]);
      return { ms: out.ms, result: JSON.parse(out.stdout) as HealthResult };
    };
    await health(); // warm-up (file cache, DynamoDB Local JIT)
    const node: number[] = [];
    const all: { ms: number; result: HealthResult }[] = [];
    const one: { ms: number; result: HealthResult }[] = [];
    for (let i = 0; i < RUNS; i++) {
      node.push((await spawnTimed(cwd, ['-e', '0'])).ms);
      all.push(await health());
      one.push(await health('--region', SLOW_REGION));
    }
    const slowestCheck = (r: HealthResult) =>
      Math.max(...r.regions.flatMap((region) => region.checks.map((c) => c.latencyMs ?? 0)));
    const ratios = all.map((a) => a.result.checksMs / slowestCheck(a.result));
    const slowProbe = median(
      all.map(
        (a) =>
          a.result.regions.find((r) => r.key === SLOW_REGION)?.checks.find((c) => c.name === 'websocket')
            ?.latencyMs ?? 0,
      ),
    );
    const checksAll = median(all.map((a) => a.result.checksMs));
    const checksOne = median(one.map((a) => a.result.checksMs));
    const verdicts = [...new Set(all.map((a) => a.result.verdict))].join(', ');
    row(
      `health, 3 regions, ${SLOW_REGION} +${ADDED_LATENCY_MS} ms (median of ${RUNS})`,
      `wall ${fmt(median(all.map((a) => a.ms)))}, checks phase ${fmt(checksAll)} (verdict ${verdicts})`,
    );
    row(`  ${SLOW_REGION} websocket probe (connect + ping)`, fmt(slowProbe));
    row('  checks phase / slowest single check', `${median(ratios).toFixed(2)}x  (aim <= 1.3)`);
    row(
      `  checks phase / health --region ${SLOW_REGION} alone`,
      `${(checksAll / checksOne).toFixed(2)}x  (${fmt(checksOne)} alone)`,
    );
    row(
      '  start-up: process start -> first probe sent',
      `${fmt(median(all.map((a) => a.result.startupMs)))}  (node -e 0: ${fmt(median(node))})`,
    );
  } finally {
    await sandbox.stop();
    await rm(cwd, { recursive: true, force: true });
  }
}
