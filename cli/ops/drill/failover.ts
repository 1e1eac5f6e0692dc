/**
 * `chatctl drill failover <KEY>`: a rehearsal of losing a region. Steps: preflight (health, replication, safety
 * rules), [move the China origin away], drain, verify DNS (time to shift), verify chat where DNS now sends the
 * region's users, hold, restore and verify DNS (time to restore), [move the China origin back], verify the
 * chat room converged in every replica. A failed or interrupted drill restores what it changed before it ends;
 * the journal lets `drill status` / `drill abort` deal with one that crashed.
 */
import { hostname } from 'node:os';
import { isAbsolute, relative } from 'node:path';
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import { findRegion } from '../../../core/topology.js';
import { globalNameEndpoint } from '../chat.js';
import { chatBothWays, moveChinaOrigin } from '../china/index.js';
import { drainSafety } from '../drain/index.js';
import {
  answerIndex,
  chatRecordTtl,
  findHealthCheck,
  route53,
  setInverted,
  shiftFloorMs,
  shiftTimeoutMs,
  sleep,
  testDnsFrom,
  waitForAnswer,
} from '../drain/route53.js';
import { assertSafe, type SafetyVerdict } from '../drain/safety.js';
import { round } from '../probe.js';
import type { Target } from '../target.js';
import {
  acquireDrillLock,
  type DrillJournal,
  drillsDir,
  isOrphaned,
  journalPath,
  listJournals,
  newDrillId,
  pidAlive,
  readJournal,
  releaseDrillLock,
  writeJournal,
} from './journal.js';
import { type DrillResult, resultOf, writeReport } from './report.js';
import { initialRecords, type Renderer, runSteps, type StepDef } from './runner.js';

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
}

export interface DrillPlan {
  readonly region: string;
  readonly steps: readonly { readonly name: string; readonly title: string }[];
}

interface Ctx {
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
}

const save = (ctx: Ctx) => writeJournal(ctx.dir, ctx.journal);

export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) {
    throw new UserError(`"${text}" is not a duration`, {
      hint: 'use a number with a unit: 500ms, 30s, 5m, 1h',
    });
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return Math.round(Number(match[1]) * unit);
}

function chatTimeoutMs(target: Target): number {
  return target.kind === 'sandbox' ? 8000 : 15_000;
}

function steps(): StepDef<Ctx>[] {
  const dry = (ctx: Ctx) => (ctx.journal.dryRun ? 'dry run: not changed' : false);
  return [
    {
      name: 'preflight',
      title: 'Preflight: health, replication, safety rules',
      async run(ctx, step) {
        const { target, journal } = ctx;
        step.progress('checking every region (chatctl health) and the safety rules');
        const { runHealth } = await import('../health.js');
        const [health, safety] = await Promise.all([
          runHealth(target, { timeoutMs: ctx.options.healthTimeoutMs }),
          drainSafety(target, journal.region, {
            moveChinaOrigin: ctx.options.moveChinaOrigin,
            command: 'drill',
          }),
        ]);
        ctx.safety = safety;
        // The canary alarm steers each region's Route 53 check: a region whose canary is in ALARM is already
        // out of DNS, so draining another would leave fewer regions than the drill assumes.
        const canaryName = (key: string) => `${names.alarmPrefix(target.topology, key)}canary`;
        const canaryDown = health.regions.filter((r) =>
          (
            (r.checks.find((c) => c.name === 'alarms')?.data?.alarms as { name: string }[] | undefined) ?? []
          ).some((a) => a.name === canaryName(r.key)),
        );
        if (canaryDown.length > 0) {
          throw new UserError(
            `the canary alarm is in ALARM in ${canaryDown.map((r) => r.key).join(', ')}: its chat path is broken and Route 53 already routes around it`,
            { hint: 'fix that region first: chatctl health --region KEY' },
          );
        }
        const canaries = health.regions.filter(
          (r) => r.checks.find((c) => c.name === 'canary')?.status === 'ok',
        ).length;
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
        return (
          `${health.regions.length} regions healthy` +
          (canaries > 0 ? `, canary passing in ${canaries} and no canary alarm in ALARM` : '') +
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
      async run(ctx) {
        const { target, journal } = ctx;
        const safety = await drainSafety(target, journal.region, { command: 'drill' });
        assertSafe(safety, journal.region);
        const client = route53(target);
        try {
          const check = await findHealthCheck(target, client, journal.region);
          // Write the intent first: if the process dies right after the change, `drill abort` still knows.
          journal.changes.drained = true;
          await save(ctx);
          ctx.drainedAt = performance.now();
          await setInverted(client, check, true);
          return `health check ${check.Id} inverted`;
        } finally {
          client.destroy();
        }
      },
    },
    {
      name: 'verify-dns',
      title: 'Verify DNS moved the region’s users',
      skip: dry,
      async run(ctx, step) {
        const { target, journal } = ctx;
        const client = route53(target);
        try {
          step.progress(`TestDNSAnswer from ${journal.region}'s subnet until it answers another region`);
          const moved = await waitForAnswer(target, client, {
            from: journal.region,
            accept: (a) => a.region !== undefined && a.region !== journal.region,
            describe: `move ${journal.region}'s users away`,
            since: ctx.drainedAt ?? performance.now(),
            timeoutMs: ctx.options.shiftTimeoutMs ?? shiftTimeoutMs(target),
            signal: step.signal,
          });
          journal.timeToShiftMs = Math.round(moved.elapsedMs);
          journal.shiftedTo = moved.answer.region;
          ctx.shiftedRecords = moved.answer.records;
          // A resolver that cached the old answer just before the shift keeps it for the record's TTL.
          const ttlSeconds = await chatRecordTtl(target, client, journal.region);
          journal.dnsTtlSeconds = ttlSeconds;
          journal.timeToClientMovedMs = journal.timeToShiftMs + ttlSeconds * 1000;
          const serving = ctx.safety?.remaining ?? [];
          if (serving.length > 0 && !serving.includes(moved.answer.region!)) {
            throw new Error(
              `DNS sent ${journal.region}'s users to ${moved.answer.region}, which was not serving`,
            );
          }
          return `${journal.region}'s subnet now answered by ${moved.answer.region} after ${journal.timeToShiftMs} ms (floor ${shiftFloorMs(target)} ms); a client honouring the ${ttlSeconds} s TTL has moved by ${journal.timeToClientMovedMs} ms`;
        } finally {
          client.destroy();
        }
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
          globalNameEndpoint(target, to, ctx.shiftedRecords),
          target.region(ctx.peer).websocketUrl,
          {
            timeoutMs: chatTimeoutMs(target),
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
      name: 'restore',
      title: 'Restore the region and verify DNS',
      cleanup: true,
      skip: (ctx) => dry(ctx) || (ctx.journal.changes.drained ? false : 'nothing to restore'),
      async run(ctx, step) {
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
        const { verifyRoom } = await import('../replication.js');
        const { probeClients } = await import('../probe-clients.js');
        const clients = probeClients(target);
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

/** The plan a dry run prints: every step in order. */
export function drillPlan(region: string): DrillPlan {
  return { region, steps: steps().map((s) => ({ name: s.name, title: s.title })) };
}

/**
 * Reverts the drained region's health check (idempotent) and waits until DNS answers it again. Marks the
 * journal restored as soon as the health check is reverted.
 */
export async function restoreDrained(
  target: Target,
  journal: DrillJournal,
  dir: string,
  options: { timeoutMs?: number; progress?: (text: string) => void; verify?: boolean } = {},
): Promise<{ timeToRestoreMs?: number }> {
  const client = route53(target);
  try {
    const check = await findHealthCheck(target, client, journal.region);
    const since = performance.now();
    await setInverted(client, check, false);
    journal.changes.restored = true;
    await writeJournal(dir, journal);
    if (options.verify === false) return {};
    options.progress?.(`TestDNSAnswer from ${journal.region}'s subnet until it answers ${journal.region}`);
    const back = await waitForAnswer(target, client, {
      from: journal.region,
      accept: (a) => a.region === journal.region,
      describe: `send ${journal.region}'s users back`,
      since,
      timeoutMs: options.timeoutMs ?? shiftTimeoutMs(target),
    });
    return { timeToRestoreMs: Math.round(back.elapsedMs) };
  } finally {
    client.destroy();
  }
}

export async function runFailoverDrill(target: Target, options: FailoverDrillOptions): Promise<DrillResult> {
  findRegion(target.topology, options.region);
  if (target.topology.regions.length < 2) {
    throw new UserError('a failover drill needs at least two regions', {
      hint: 'add one: chatctl region add',
    });
  }
  const dir = options.dir ?? drillsDir();
  const id = newDrillId(options.region);
  const defs = steps();
  const journal: DrillJournal = {
    id,
    kind: 'failover',
    region: options.region,
    target: target.kind,
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
    dryRun: options.dryRun === true,
    holdMs: options.holdMs ?? 0,
    state: 'running',
    changes: { drained: false, restored: false },
    steps: initialRecords(defs),
  };
  if (!journal.dryRun) await acquireDrillLock(dir, id);
  try {
    await writeJournal(dir, journal);
    options.onStart?.(journal);
    const ctx: Ctx = { target, journal, dir, options };
    const run = await runSteps(defs, ctx, journal.steps, {
      renderer: options.renderer ?? 'silent',
      interrupt: options.interrupt,
      onChange: async () => save(ctx),
    });
    journal.verdict = run.verdict;
    if (run.verdict === 'aborted')
      journal.endReason = `interrupted (${String(options.interrupt?.reason ?? 'signal')})`;
    else if (run.failedStep) journal.endReason = `step ${run.failedStep} failed`;
    journal.state = 'finished';
    journal.endedAt = new Date().toISOString();
    await writeJournal(dir, journal);
  } finally {
    if (!journal.dryRun) await releaseDrillLock(dir, id);
  }
  const file = journalPath(dir, id);
  const shown = relative(process.cwd(), file);
  let result = resultOf(journal, {
    floorMs: shiftFloorMs(target),
    journalFile: shown.startsWith('..') || isAbsolute(shown) ? file : shown,
  });
  if (options.reportFile) result = { ...result, report: await writeReport(options.reportFile, result) };
  return result;
}

export interface DrillStatusEntry {
  readonly id: string;
  readonly region: string;
  readonly state: 'running' | 'interrupted' | 'finished';
  readonly verdict: string | null;
  readonly pid: number;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly dryRun: boolean;
  /** What is still changed (to be put back by `drill abort`). */
  readonly pending: readonly string[];
  readonly currentStep: string | null;
}

export interface DrillStatusResult {
  readonly unfinished: readonly DrillStatusEntry[];
  readonly recent: readonly DrillStatusEntry[];
}

function pendingChanges(journal: DrillJournal): string[] {
  const out: string[] = [];
  if (journal.changes.drained && !journal.changes.restored) out.push(`${journal.region} drained`);
  const china = journal.changes.chinaOrigin;
  if (china?.moved && !china.movedBack) out.push(`China origin moved ${china.from} -> ${china.to}`);
  return out;
}

function entryOf(journal: DrillJournal): DrillStatusEntry {
  return {
    id: journal.id,
    region: journal.region,
    state: journal.state === 'finished' ? 'finished' : isOrphaned(journal) ? 'interrupted' : 'running',
    verdict: journal.verdict ?? null,
    pid: journal.pid,
    startedAt: journal.startedAt,
    endedAt: journal.endedAt ?? null,
    dryRun: journal.dryRun,
    pending: pendingChanges(journal),
    currentStep: journal.steps.find((s) => s.status === 'running')?.name ?? null,
  };
}

export async function drillStatus(
  options: { dir?: string; recent?: number } = {},
): Promise<DrillStatusResult> {
  const journals = await listJournals(options.dir ?? drillsDir());
  const entries = journals.map(entryOf);
  return {
    unfinished: entries.filter((e) => e.state !== 'finished'),
    recent: entries
      .filter((e) => e.state === 'finished')
      .slice(-(options.recent ?? 5))
      .reverse(),
  };
}

export interface DrillAbortResult {
  readonly id: string;
  readonly region: string;
  /** How it was stopped: a live drill is signalled (it restores itself); a crashed one is restored here. */
  readonly how: 'signalled' | 'restored';
  readonly restored: readonly string[];
  readonly timeToRestoreMs?: number;
}

/**
 * Stops the unfinished drill: a running one gets SIGTERM (it restores and ends as aborted) and is waited for;
 * one whose process is gone is restored here from its journal (health check reverted, China origin moved
 * back), and its journal closed as aborted.
 */
export async function abortDrill(
  target: Target,
  options: { dir?: string; id?: string; waitMs?: number; timeoutMs?: number } = {},
): Promise<DrillAbortResult> {
  const dir = options.dir ?? drillsDir();
  const unfinished = (await listJournals(dir)).filter(
    (j) => j.state === 'running' && (!options.id || j.id === options.id),
  );
  if (unfinished.length === 0) {
    throw new UserError(options.id ? `no unfinished drill ${options.id}` : 'no unfinished drill', {
      hint: 'see the drills: chatctl drill status',
    });
  }
  const journal = unfinished[unfinished.length - 1];
  if (!isOrphaned(journal) && journal.pid !== process.pid) {
    process.kill(journal.pid, 'SIGTERM');
    const deadline = Date.now() + (options.waitMs ?? 120_000);
    for (;;) {
      const now = await readJournal(dir, journal.id);
      if (now?.state === 'finished') {
        return {
          id: journal.id,
          region: journal.region,
          how: 'signalled',
          restored: pendingChanges(journal),
        };
      }
      if (!pidAlive(journal.pid)) break;
      if (Date.now() > deadline) {
        throw new UserError(
          `drill ${journal.id} (pid ${journal.pid}) did not stop within ${(options.waitMs ?? 120_000) / 1000} s`,
          {
            hint: `stop it (kill ${journal.pid}), then run: chatctl drill abort`,
          },
        );
      }
      await sleep(200);
    }
  }
  const fresh = (await readJournal(dir, journal.id)) ?? journal;
  if (fresh.target !== target.kind) {
    throw new UserError(`drill ${fresh.id} ran against ${fresh.target}, not ${target.kind}`, {
      hint: `run: chatctl drill abort --target ${fresh.target}`,
    });
  }
  const restored = pendingChanges(fresh);
  let timeToRestoreMs: number | undefined;
  if (fresh.changes.drained && !fresh.changes.restored) {
    timeToRestoreMs = (await restoreDrained(target, fresh, dir, { timeoutMs: options.timeoutMs }))
      .timeToRestoreMs;
    fresh.timeToRestoreMs ??= timeToRestoreMs;
  } else if (fresh.changes.drained) {
    // Restored already, but make sure (idempotent): a crash may have come between the change and the journal.
    await restoreDrained(target, fresh, dir, { verify: false });
  }
  const china = fresh.changes.chinaOrigin;
  if (china?.moved && !china.movedBack) {
    await moveChinaOrigin(target, china.from, { timeoutMs: options.timeoutMs });
    china.movedBack = true;
  }
  for (const step of fresh.steps) {
    if (step.status === 'running' || step.status === 'pending') {
      step.status = step.status === 'running' ? 'aborted' : 'skipped';
      step.detail = 'stopped by chatctl drill abort';
    }
  }
  fresh.state = 'finished';
  fresh.verdict = 'aborted';
  fresh.endReason = 'stopped by chatctl drill abort';
  fresh.endedAt = new Date().toISOString();
  await writeJournal(dir, fresh);
  await releaseDrillLock(dir, fresh.id);
  return { id: fresh.id, region: fresh.region, how: 'restored', restored, timeToRestoreMs };
}

/** Reads where a region's users go now (used by tests and by `drill status --dns`). */
export async function whereUsersGo(target: Target, key: string): Promise<string | undefined> {
  const client = route53(target);
  try {
    return (await testDnsFrom(target, client, key, await answerIndex(target, client))).region;
  } finally {
    client.destroy();
  }
}
