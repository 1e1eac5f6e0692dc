/**
 * A failover drill against the sandbox with its default health-check interval and failure threshold
 * (chatctl.json `sandbox`): time to shift (drain -> TestDNSAnswer from the region's subnet answers another
 * region) and time to restore, next to the theoretical floor (interval x threshold), as ratios; and the time
 * until the drill's moving client (reconnecting by the global name, honouring the TTL) landed elsewhere, next
 * to its bound (time to shift + TTL). The records' TTL is lowered to DNS_TTL_SECONDS so a drill waits seconds,
 * not the default minute. The drill runs in this process through the same ops code as `chatctl drill failover`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFailoverDrill } from '../cli/ops/drill/run.js';
import { sandboxTarget } from '../cli/ops/target.js';
import { defaultTopology } from '../core/topology.js';
import { start } from '../sandbox/index.js';
import { fmt, median, row } from './support.js';

const RUNS = 3;
const REGIONS = ['tokyo', 'na'];
const DNS_TTL_SECONDS = 3;

export async function run(): Promise<void> {
  // The replication threshold is loosened so that a busy machine's lag does not fail the preflight; the
  // health-check interval and threshold stay the sandbox defaults.
  const topology = { ...defaultTopology(), replication: { lagThresholdMs: 10_000 } };
  const sandbox = await start(topology, { port: 0, dnsTtlSeconds: DNS_TTL_SECONDS, onError: () => {} });
  const dir = await mkdtemp(join(tmpdir(), 'chatctl-drill-bench-'));
  try {
    const target = sandboxTarget(sandbox.topology, sandbox.state);
    const floor = target.timing.shiftFloorMs;
    // Let the health checkers see every region once before the first drill.
    await new Promise((r) => setTimeout(r, floor + 500));
    const shift: number[] = [];
    const restore: number[] = [];
    const moved: number[] = [];
    const bound: number[] = [];
    const total: number[] = [];
    for (let i = 0; i < RUNS * REGIONS.length; i++) {
      const region = REGIONS[i % REGIONS.length];
      const started = performance.now();
      const result = await runFailoverDrill(target, { region, holdMs: 0, dir, healthTimeoutMs: 8000 });
      if (result.verdict !== 'passed') {
        throw new Error(
          `drill of ${region} ${result.verdict}: ${JSON.stringify(result.steps.filter((s) => s.status === 'failed'))}`,
        );
      }
      total.push(performance.now() - started);
      shift.push(result.timeToShiftMs ?? Number.NaN);
      restore.push(result.timeToRestoreMs ?? Number.NaN);
      moved.push(result.timeToClientMovedMs ?? Number.NaN);
      bound.push(result.clientMoveBoundMs ?? Number.NaN);
    }
    const s = topology.sandbox;
    row(
      'health check (sandbox default)',
      `${s.healthCheckIntervalSeconds * 1000} ms x ${s.failureThreshold} = floor ${fmt(floor)}`,
    );
    row(
      `time to shift (median of ${shift.length} drills)`,
      `${fmt(median(shift))}  (${(median(shift) / floor).toFixed(2)}x the floor; max ${fmt(Math.max(...shift))})`,
    );
    row(
      `client moved, observed (median of ${moved.length}; TTL ${DNS_TTL_SECONDS} s)`,
      `${fmt(median(moved))}  (${(median(moved) / median(bound)).toFixed(2)}x the bound shift + TTL of ${fmt(median(bound))}; max ${fmt(Math.max(...moved))})`,
    );
    row(
      `time to restore (median of ${restore.length} drills)`,
      `${fmt(median(restore))}  (${(median(restore) / floor).toFixed(2)}x the floor; max ${fmt(Math.max(...restore))})`,
    );
    row('whole drill, hold 0 (median)', fmt(median(total)));
  } finally {
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
