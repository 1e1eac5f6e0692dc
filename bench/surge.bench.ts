/**
 * The surge drill's new-year profile against an in-process sandbox, once with traffic auto on and once off, in
 * one run (the same ops code as `chatctl drill surge`): send ack p99, connects shed, and peak concurrency and
 * throttles per lane for both. The lanes are small (send 64, connect 3, join 3) so that this machine's bounded load can
 * fill them; the handlers read the level through a 1 s cache (5 s on Lambda) so a 15 s run sees its shedding.
 */
import { runSurgeDrill } from '../cli/ops/drill/surge.js';
import { surgeCaps } from '../cli/ops/drill/surge-load.js';
import { sandboxTarget } from '../cli/ops/target.js';
import { defaultTopology } from '../core/topology.js';
import { createChatApp } from '../runtime/app.js';
import { start } from '../sandbox/index.js';
import { row } from './support.js';

const DURATION_MS = 15_000;

export async function run(): Promise<void> {
  const topology = {
    ...defaultTopology(),
    lanes: { ...defaultTopology().lanes, send: 64, connect: 3, join: 3 },
  };
  const sandbox = await start(topology, {
    port: 0,
    onError: () => {},
    globalServices: false,
    surge: { intervalMs: 500, coolDownMs: 2000 },
    createApp: (config, deps) => createChatApp(config, { ...deps, loadCacheMs: 1000 }),
  });
  try {
    const target = sandboxTarget(sandbox.topology, sandbox.state);
    const caps = surgeCaps();
    const result = await runSurgeDrill(target, {
      region: 'tokyo',
      profile: 'new-year',
      durationMs: DURATION_MS,
      recoveryMs: 30_000,
      caps,
      // The lanes above are this bench's own.
      rehearsalLane: false,
    });
    for (const note of result.notes) row('note', note);
    row('profile', `new-year, ${DURATION_MS / 1000} s per run, lanes send 64 / connect 3 / join 3`);
    for (const [name, r] of [
      ['auto on', result.runs.autoOn],
      ['auto off', result.runs.autoOff],
    ] as const) {
      const lanes = r.lanes
        .filter((l) => l.peakConcurrency > 0 || l.throttles > 0)
        .map((l) => `${l.route} peak ${l.peakConcurrency}/${l.reserved}, ${l.throttles} throttled`)
        .join('; ');
      row(
        name,
        `send ack p99 ${r.summary.ackP99Ms} ms (p50 ${r.summary.ackP50Ms}), delivery p99 ${r.summary.deliveryP99Ms} ms, ${r.summary.sends} sends, connects shed ${(r.summary.connectShedRate * 100).toFixed(1)}% of ${r.summary.connects}, reconnects ${r.summary.reconnects}, peak level ${r.peakLevel}`,
      );
      row(`${name} lanes`, lanes || 'no lane activity');
    }
    const on = result.runs.autoOn.summary.ackP99Ms;
    const off = result.runs.autoOff.summary.ackP99Ms;
    row('send ack p99 off / on', off > 0 && on > 0 ? `${(off / on).toFixed(2)}x` : 'n/a');
    row(
      'verdict (auto on)',
      `${result.verdict}${result.reasons.length ? `: ${result.reasons.join('; ')}` : ''}`,
    );
  } finally {
    await sandbox.stop();
  }
}
