/**
 * The steps of `chatctl drill failover`, in order: preflight (health, replication, safety rules), [move the
 * China origin away], drain (a client of the region's users connected by the global name first), verify DNS
 * (time to shift), verify chat where DNS now sends the region's users, hold, verify that client moved (time
 * observed), restore and verify DNS (time to restore), [move the China origin back], verify the chat room
 * converged in every replica. Routing changes only through cli/ops/routing/ (journalled.ts wraps it).
 * `steps()` is one list of small step objects, longer than 100 lines as a whole on purpose: the drill reads
 * top to bottom in the order it runs.
 */
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import { judgementOfAlarm } from '../../../core/routing-health.js';
import { openClients, route53Client, withClient } from '../aws/clients.js';
import { chatRecordTtl } from '../aws/route53.js';
import { chatBothWays } from '../chat/probe.js';
import { findCheck } from '../checks/verdict.js';
import { moveChinaOrigin } from '../routing/china-origin.js';
import { drainRegion } from '../routing/drain.js';
import { drainSafety } from '../routing/observe.js';
import { assertSafe, type SafetyVerdict } from '../routing/safety.js';
import { verifyShift } from '../routing/verify.js';
import type { Target } from '../target.js';
import { round, sleep } from '../time.js';
import { type ClientMove, type ClientProbe, startClientProbe } from './client-probe.js';
import { type DrillJournal, writeJournal } from './journal.js';
import { restoreDrained } from './journalled.js';
import type { Renderer, StepDef } from './runner.js';

/**
 * How far past its bound (time to shift + TTL) a client's move may be seen before the drill fails: the client
 * reconnects every 250 ms and a connection takes a moment to open; more than this is a real overrun.
 */
export const CLIENT_MOVE_SLACK_MS = 1000;

/** What `chatctl drill failover` is asked to do (the command's flags). */
export interface FailoverDrillOptions {
  readonly region: string;
  readonly dryRun?: boolean;
  readonly holdMs?: number;
  /** Markdown report path (the JSON result goes beside it); a .json path gets the JSON result only. */
  readonly reportFile?: string;
  /** When the region is the China origin: move the origin away first and back afterwards. */
  readonly moveChinaOrigin?: boolean;
  /** Where journals live (default .chatctl/drills in the working directory). */
  readonly dir?: string;
  readonly renderer?: Renderer;
  /** SIGINT/SIGTERM: restore, then end with verdict "aborted". */
  readonly interrupt?: AbortSignal;
  /** Per-check time limit of the preflight health run. */
  readonly healthTimeoutMs?: number;
  /** How long DNS may take to shift or come back. */
  readonly shiftTimeoutMs?: number;
  /** Called when the drill's id is known (before any change). */
  readonly onStart?: (journal: DrillJournal) => void;
  /** Called each time the journal is written for a step's change, and once the drill has ended. */
  readonly onChange?: (journal: DrillJournal) => void;
}

export interface Ctx {
  target: Target;
  journal: DrillJournal;
  dir: string;
  options: FailoverDrillOptions;
  safety?: SafetyVerdict;
  chinaTo?: string;
  drainedAt?: number;
  peer?: string;
  /** What DNS answered for the drained region's users (the address their clients reach chat.<domain> at). */
  shiftedRecords?: readonly string[];
  /** A client of the drained region's users, reconnecting by the global name from the drain on. */
  clientProbe?: ClientProbe;
  clientMove?: Promise<ClientMove>;
}

const save = (ctx: Ctx) => writeJournal(ctx.dir, ctx.journal);

export function steps(): StepDef<Ctx>[] {
  const dry = (ctx: Ctx) => (ctx.journal.dryRun ? 'dry run: not changed' : false);
  return [
    {
      name: 'preflight',
      title: 'Preflight: health, replication, safety rules',
      async run(ctx, step) {
        const { target, journal } = ctx;
        step.progress('checking every region (chatctl health) and the safety rules');
        const { runHealth } = await import('../checks/health.js');
        const [health, safety] = await Promise.all([
          runHealth(target, { timeoutMs: ctx.options.healthTimeoutMs }),
          drainSafety(target, journal.region, {
            moveChinaOrigin: ctx.options.moveChinaOrigin,
            command: 'drill',
          }),
        ]);
        ctx.safety = safety;
        // The canary judges' alarms steer each region's Route 53 check (core/routing-health.ts): a region whose
        // own canary alarm is in ALARM is failing its chat, so draining another would leave fewer regions than
        // the drill assumes.
        const canaryName = (key: string) => `${names.alarmPrefix(target.topology, key)}canary`;
        const judgementsInAlarm = (r: (typeof health.regions)[number]) =>
          (findCheck(r.checks, 'alarms')?.data?.alarms ?? []).filter(
            (a) => judgementOfAlarm(a.name)?.judged === r.key,
          );
        const canaryDown = health.regions.filter((r) =>
          judgementsInAlarm(r).some((a) => a.name === canaryName(r.key)),
        );
        if (canaryDown.length > 0) {
          const alarms = canaryDown.map((r) => `${canaryName(r.key)} (${r.key})`).join(', ');
          throw new UserError(
            `the canary alarm is in ALARM: ${alarms}: connect, join or send is broken there and Route 53 already routes around it, so the drill would start from fewer serving regions than it measures; nothing was changed`,
            {
              hint: `fix that region first, then run the drill again: chatctl health --region ${canaryDown[0].key}`,
            },
          );
        }
        const canaries = health.regions.filter(
          (r) => r.checks.find((c) => c.name === 'canary')?.status === 'ok',
        ).length;
        // Without a canary (a sandbox started with none) no alarm guards the chat path: say so.
        const noCanary = health.regions.find(
          (r) => r.checks.find((c) => c.name === 'canary')?.status === 'skip',
        );
        const canaryNote =
          canaries > 0
            ? `, canary passing in ${canaries} and no canary alarm in ALARM`
            : noCanary
              ? `, no canary alarm to check (${noCanary.checks.find((c) => c.name === 'canary')?.detail}): Route 53 follows /health alone`
              : '';
        const notOk = health.regions.filter((r) => r.status !== 'ok');
        const problems = notOk.flatMap((r) =>
          r.checks
            .filter((c) => c.status === 'fail' || c.status === 'warn')
            .map((c) => `${r.key} ${c.name}: ${c.detail}`),
        );
        if (problems.length > 0) {
          throw new UserError(`not every region is healthy: ${problems.join('; ')}`, {
            hint: 'a drill starts from a healthy system: see chatctl health',
          });
        }
        assertSafe(safety, journal.region);
        const replication = health.regions
          .flatMap((r) => r.checks.filter((c) => c.name === 'replication' && c.latencyMs !== undefined))
          .map((c) => c.latencyMs as number);
        if (safety.chinaOriginSuggestion && ctx.options.moveChinaOrigin)
          ctx.chinaTo = safety.chinaOriginSuggestion;
        // Which region judged which: the routing check of each region names its judges and their verdicts.
        const judged = health.regions
          .map((r) => /judged by ([^:]+):/.exec(r.checks.find((c) => c.name === 'route53')?.detail ?? ''))
          .map((m, i) => (m ? `${health.regions[i].key} judged by ${m[1]}` : undefined))
          .filter(Boolean);
        return (
          `${health.regions.length} regions healthy` +
          canaryNote +
          (judged.length > 0 ? ` (${judged.join('; ')})` : '') +
          (replication.length > 0 ? `, replication checked in ${round(Math.max(...replication))} ms` : '') +
          `; ${safety.remaining.length} would keep serving (${safety.remaining.join(', ')}), minimum ${target.topology.minHealthyRegions}` +
          (ctx.chinaTo ? `; China origin will move to ${ctx.chinaTo}` : '')
        );
      },
    },
    {
      name: 'move-china-origin',
      title: 'Move the China proxy origin away',
      skip: (ctx) => dry(ctx) || (ctx.chinaTo ? false : 'not the China origin'),
      async run(ctx, step) {
        const to = ctx.chinaTo!;
        ctx.journal.changes.chinaOrigin = { from: ctx.journal.region, to, moved: true, movedBack: false };
        await save(ctx);
        step.progress(`UpdateDistribution: origin -> ${to}`);
        const move = await moveChinaOrigin(ctx.target, to, { signal: step.signal });
        return `origin ${move.from ?? '?'} -> ${to}, serving after ${round(move.servedAfterMs ?? 0)} ms`;
      },
    },
    {
      name: 'drain',
      title: 'Drain the region',
      skip: dry,
      async run(ctx, step) {
        const { target, journal } = ctx;
        step.progress(`connecting a client of ${journal.region}'s users by the global name`);
        const probe = startClientProbe(target, journal.region);
        ctx.clientProbe = probe;
        await probe.ready;
        // The one routing path: safety rules, then the journal hook, then the change (verified next step).
        const drained = await drainRegion(target, journal.region, {
          command: 'drill',
          verify: false,
          // Write the intent first: if the process dies right after the change, `drill abort` still knows.
          beforeChange: async (change) => {
            if (!change.changed) return;
            journal.changes.drained = true;
            await save(ctx);
          },
          afterChange: (_change, at) => {
            ctx.drainedAt = at;
            ctx.clientMove = probe.follow(at, ctx.options.shiftTimeoutMs ?? target.timing.shiftTimeoutMs);
            ctx.clientMove.catch(() => {});
          },
        });
        return drained.changed
          ? `health check ${drained.healthCheckId} inverted`
          : `health check ${drained.healthCheckId} was already inverted (left as it was)`;
      },
    },
    {
      name: 'verify-dns',
      title: 'Verify DNS moved the region’s users',
      skip: dry,
      async run(ctx, step) {
        const { target, journal } = ctx;
        step.progress(`TestDNSAnswer from ${journal.region}'s subnet until it answers another region`);
        await withClient(route53Client(target), async (client) => {
          const moved = await verifyShift(target, client, 'drain', journal.region, {
            since: ctx.drainedAt ?? performance.now(),
            timeoutMs: ctx.options.shiftTimeoutMs,
            signal: step.signal,
          });
          journal.timeToShiftMs = Math.round(moved.elapsedMs);
          journal.shiftedTo = moved.answer.region;
          ctx.shiftedRecords = moved.answer.records;
          // The bound: a resolver that cached the old answer just before the shift keeps it for the TTL.
          const ttlSeconds = await chatRecordTtl(target, client, journal.region);
          journal.dnsTtlSeconds = ttlSeconds;
          journal.clientMoveBoundMs = journal.timeToShiftMs + ttlSeconds * 1000;
          const serving = ctx.safety?.remaining ?? [];
          if (serving.length > 0 && !serving.includes(moved.answer.region!)) {
            throw new Error(
              `DNS sent ${journal.region}'s users to ${moved.answer.region}, which was not serving`,
            );
          }
        });
        return `${journal.region}'s subnet now answered by ${journal.shiftedTo} after ${journal.timeToShiftMs} ms (floor ${target.timing.shiftFloorMs} ms); a client honouring the ${journal.dnsTtlSeconds} s TTL moves by ${journal.clientMoveBoundMs} ms at the latest`;
      },
    },
    {
      name: 'verify-chat',
      title: 'Verify chat where DNS sends the region’s users',
      skip: dry,
      async run(ctx, step) {
        const { target, journal } = ctx;
        const to = journal.shiftedTo;
        if (!to) throw new Error('DNS did not say where users go');
        const others = target.topology.regions.map((r) => r.key).filter((k) => k !== journal.region);
        ctx.peer = others.find((k) => k !== to) ?? to;
        const roomId = `drill-${journal.id.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`.slice(0, 64);
        journal.roomId = roomId;
        await save(ctx);
        step.progress(`a ${journal.region} user at ${to} and a user in ${ctx.peer} chat in ${roomId}`);
        // The drained region's user connects as a user's client does: to chat.<domain>, at DNS's answer.
        const chat = await chatBothWays(
          target,
          target.globalEndpoint(to, ctx.shiftedRecords),
          target.region(ctx.peer).websocketUrl,
          {
            timeoutMs: target.timing.chatTimeoutMs,
            signal: step.signal,
            roomId,
          },
        );
        return `${journal.region} user at ${to} <-> user in ${ctx.peer}: ${chat.aToBMs} ms / ${chat.bToAMs} ms`;
      },
    },
    {
      name: 'hold',
      title: 'Hold',
      skip: (ctx) => dry(ctx) || (ctx.journal.holdMs <= 0 ? 'no hold' : false),
      async run(ctx, step) {
        const end = performance.now() + ctx.journal.holdMs;
        for (;;) {
          const left = end - performance.now();
          if (left <= 0) break;
          step.progress(`${Math.ceil(left / 1000)} s left (Ctrl-C restores the region and stops)`);
          await sleep(Math.min(1000, left), step.signal);
        }
        return `held ${ctx.journal.holdMs} ms`;
      },
    },
    {
      name: 'verify-client-moved',
      title: 'Verify a client of the region’s users moved',
      skip: (ctx) => dry(ctx) || (ctx.clientMove ? false : 'no drain to follow'),
      async run(ctx, step) {
        const { journal } = ctx;
        step.progress(
          `a client of ${journal.region}'s users reconnects by the global name until it lands elsewhere`,
        );
        const move = await (ctx.clientMove as Promise<ClientMove>);
        journal.timeToClientMovedMs = move.elapsedMs;
        journal.clientMovedTo = move.region;
        const overrun = move.elapsedMs - (journal.clientMoveBoundMs ?? Number.POSITIVE_INFINITY);
        if (overrun > CLIENT_MOVE_SLACK_MS) {
          throw new Error(
            `a client of ${journal.region}'s users moved ${move.elapsedMs} ms after the drain, ${overrun} ms past ` +
              `its bound of ${journal.clientMoveBoundMs} ms (time to shift + the ${move.ttlSeconds} s TTL): ` +
              'a resolver or client kept the old answer longer than the record allows, or reaching the new region was slow',
          );
        }
        return (
          `a client of ${journal.region}'s users landed in ${move.region} ${move.elapsedMs} ms after the drain ` +
          `(its answer from before the drain expired at ${move.firstAnswerExpiredMs} ms, TTL ${move.ttlSeconds} s; ` +
          `bound: time to shift + TTL = ${journal.clientMoveBoundMs ?? '-'} ms; ` +
          `${move.resolutions} DNS answers, ${move.connections} connections)`
        );
      },
    },
    {
      name: 'restore',
      title: 'Restore the region and verify DNS',
      cleanup: true,
      skip: (ctx) => dry(ctx) || (ctx.journal.changes.drained ? false : 'nothing to restore'),
      async run(ctx, step) {
        ctx.clientProbe?.stop();
        const result = await restoreDrained(ctx.target, ctx.journal, ctx.dir, {
          timeoutMs: ctx.options.shiftTimeoutMs,
          progress: (t) => step.progress(t),
        });
        ctx.journal.timeToRestoreMs = result.timeToRestoreMs;
        return `${ctx.journal.region}'s subnet answered by ${ctx.journal.region} again after ${result.timeToRestoreMs} ms`;
      },
    },
    {
      name: 'restore-china-origin',
      title: 'Move the China proxy origin back',
      cleanup: true,
      skip: (ctx) =>
        ctx.journal.changes.chinaOrigin?.moved && !ctx.journal.changes.chinaOrigin.movedBack
          ? false
          : 'the China origin was not moved',
      async run(ctx) {
        const move = ctx.journal.changes.chinaOrigin!;
        const back = await moveChinaOrigin(ctx.target, move.from);
        move.movedBack = true;
        await save(ctx);
        return `origin ${move.to} -> ${move.from}, serving after ${round(back.servedAfterMs ?? 0)} ms`;
      },
    },
    {
      name: 'verify-replication',
      title: 'Verify replication converged',
      skip: (ctx) => dry(ctx) || (ctx.journal.roomId ? false : 'no chat room to compare'),
      async run(ctx, step) {
        const { target, journal } = ctx;
        const { verifyRoom } = await import('../checks/replication.js');
        const clients = openClients(target);
        const keys = target.regions().map((r) => r.spec.key);
        const started = performance.now();
        const timeoutMs = Math.max(10_000, target.topology.replication.lagThresholdMs * 5);
        try {
          for (;;) {
            const verify = await verifyRoom(clients, journal.roomId!, keys, 5000);
            if (verify.consistent) {
              const count = verify.replicas[0]?.count ?? 0;
              return `room ${journal.roomId}: ${count} items identical in ${keys.length} replicas after ${Math.round(performance.now() - started)} ms`;
            }
            if (performance.now() - started > timeoutMs) {
              const diff = verify.differing.slice(0, 5).map((d) => JSON.stringify(d));
              throw new UserError(`room ${journal.roomId} differs between replicas: ${diff.join('; ')}`, {
                hint: `see: chatctl replication check --verify ${journal.roomId}`,
              });
            }
            step.progress(`waiting for ${keys.length} replicas to agree`);
            await sleep(200, step.signal);
          }
        } finally {
          clients.close();
        }
      },
    },
  ];
}
