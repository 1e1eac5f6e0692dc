/**
 * `chatctl relay test`: probe clients in one fresh room, one sender and one listener in each of two regions.
 * Each sender sends N messages; the other region's client measures delivery through the relay, and the
 * sender's own region's listener measures the same-region baseline in the same run. Loss and duplicates
 * are counted per receiver by client message id.
 */
import { randomBytes } from 'node:crypto';
import { UserError } from '../../../core/errors.js';
import type { ChatClient } from '../../../runtime/chat-client/client.js';
import type { Target } from '../target.js';
import { percentile, round } from '../time.js';
import type { Problem, Verdict } from './verdict.js';

export interface RelayTestOptions {
  from: string;
  to: string;
  /** Messages each way. */
  messages?: number;
  /** Connect/join timeout, and how long to wait for the last deliveries. */
  timeoutMs?: number;
}

export interface DeliveryStats {
  /** relay: sent in `from`, received in `to`; baseline: received in the sender's own region. */
  kind: 'relay' | 'baseline';
  from: string;
  to: string;
  sent: number;
  received: number;
  lost: number;
  duplicates: number;
  p50Ms?: number;
  p99Ms?: number;
  maxMs?: number;
}

export interface RelayTestResult {
  target: 'sandbox' | 'aws';
  verdict: Verdict;
  roomId: string;
  from: string;
  to: string;
  messages: number;
  elapsedMs: number;
  /** Time until a first message crossed each way (presence must replicate before the relay is invoked). */
  warmupMs: number;
  deliveries: DeliveryStats[];
  problems: Problem[];
}

interface Receiver {
  region: string;
  client: ChatClient;
  /** clientMsgId -> arrival times (performance.now()). */
  arrivals: Map<string, number[]>;
}

function receiver(region: string, client: ChatClient): Receiver {
  const arrivals = new Map<string, number[]>();
  client.onFrame((frame, at) => {
    if (frame.type !== 'message') return;
    const id = frame.message.clientMsgId;
    arrivals.set(id, [...(arrivals.get(id) ?? []), at]);
  });
  return { region, client, arrivals };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends one message and waits for its ack (an error frame rejects); resolves with the time it was sent. */
async function sendAndAck(
  client: ChatClient,
  roomId: string,
  clientMsgId: string,
  text: string,
): Promise<number> {
  const sentAt = performance.now();
  await client.send(roomId, text, { clientMsgId });
  return sentAt;
}

function stats(
  kind: DeliveryStats['kind'],
  from: string,
  to: string,
  sentAt: ReadonlyMap<string, number>,
  at: Receiver,
): DeliveryStats {
  const latencies: number[] = [];
  let lost = 0;
  let duplicates = 0;
  for (const [id, sent] of sentAt) {
    const times = at.arrivals.get(id);
    if (!times?.length) {
      lost++;
      continue;
    }
    duplicates += times.length - 1;
    latencies.push(times[0] - sent);
  }
  return {
    kind,
    from,
    to,
    sent: sentAt.size,
    received: latencies.length,
    lost,
    duplicates,
    ...(latencies.length
      ? {
          p50Ms: round(percentile(latencies, 50)),
          p99Ms: round(percentile(latencies, 99)),
          maxMs: round(Math.max(...latencies)),
        }
      : {}),
  };
}

/** Sends until one message from `sender` reaches `listener` (or the timeout passes); false if none did. */
async function warmUp(
  sender: Receiver,
  listener: Receiver,
  options: { roomId: string; tag: string; run: string; timeoutMs: number },
): Promise<boolean> {
  const deadline = performance.now() + options.timeoutMs;
  const prefix = `warm-${options.tag}-`;
  for (let i = 0; performance.now() < deadline; i++) {
    const id = `${prefix}${options.run}-${i}`;
    await sendAndAck(sender.client, options.roomId, id, 'relay test warm-up');
    const wait = performance.now() + 250;
    while (performance.now() < wait) {
      if ([...listener.arrivals.keys()].some((k) => k.startsWith(prefix))) return true;
      await sleep(10);
    }
  }
  return false;
}

/** Every failed warm-up, loss or duplicate, with the action to take. */
function relayProblems(
  options: RelayTestOptions,
  deliveries: readonly DeliveryStats[],
  warm: { warmAB: boolean; warmBA: boolean; timeoutMs: number },
): Problem[] {
  const problems: Problem[] = [];
  if (!warm.warmAB || !warm.warmBA) {
    problems.push({
      scope: `${options.from}<->${options.to}`,
      check: 'warmup',
      status: 'fail',
      message: `no message crossed ${!warm.warmAB ? `${options.from}->${options.to}` : `${options.to}->${options.from}`} within ${warm.timeoutMs} ms`,
      action: 'check the relay (chatctl health) and replication of presence (chatctl replication check)',
    });
  }
  for (const d of deliveries) {
    if (d.lost || d.duplicates) {
      problems.push({
        scope: `${d.from}->${d.to}`,
        check: d.kind,
        status: 'fail',
        message: `${d.lost} lost, ${d.duplicates} duplicated of ${d.sent}`,
        action:
          d.kind === 'relay'
            ? 'look at the relay function errors in the receiving region; run chatctl health'
            : 'same-region delivery fails: look at the send function and @connections errors',
      });
    }
  }
  return problems;
}

/** The result when a client could not connect or join: nothing was measured, the verdict is critical. */
function connectFailed(
  target: Target,
  options: RelayTestOptions,
  run: { roomId: string; messages: number; started: number },
  message: string,
): RelayTestResult {
  return {
    target: target.kind,
    verdict: 'critical',
    roomId: run.roomId,
    from: options.from,
    to: options.to,
    messages: run.messages,
    elapsedMs: round(performance.now() - run.started),
    warmupMs: 0,
    deliveries: [],
    problems: [
      {
        scope: `${options.from}->${options.to}`,
        check: 'connect',
        status: 'fail',
        message,
        action: 'a region does not serve chat: run chatctl health',
      },
    ],
  };
}

export async function relayTest(target: Target, options: RelayTestOptions): Promise<RelayTestResult> {
  const started = performance.now();
  const messages = Math.max(1, Math.min(options.messages ?? 20, 1000));
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (options.from === options.to) {
    throw new UserError('--from and --to name the same region', {
      hint: 'the relay carries messages between two regions: pick two keys from chatctl region list',
    });
  }
  const from = target.region(options.from);
  const to = target.region(options.to);
  const run = randomBytes(4).toString('hex');
  const roomId = `relaytest-${Date.now().toString(36)}-${run}`;
  // A missing probe identity is the user's to fix (a UserError), not a region that is down.
  const tokens = Object.fromEntries(
    ['a', 'a2', 'b', 'b2'].map((role) => [role, target.token(`probe-relay-${role}`, 600)]),
  );
  const { ChatClient } = await import('../../../runtime/chat-client/client.js');
  const clients: ChatClient[] = [];
  const open = async (region: typeof from, role: string) => {
    const client = await ChatClient.connect({
      url: region.websocketUrl,
      token: tokens[role],
      timeoutMs,
      connectTimeoutMs: timeoutMs,
    });
    clients.push(client);
    await client.join(roomId);
    return receiver(region.spec.key, client);
  };
  try {
    let a: Receiver;
    let aListener: Receiver;
    let b: Receiver;
    let bListener: Receiver;
    try {
      // Settle every open before going on, so that a client still connecting when another fails is not left
      // open behind the test (the finally below closes every client that did connect).
      const opened = await Promise.allSettled([
        open(from, 'a'),
        open(from, 'a2'),
        open(to, 'b'),
        open(to, 'b2'),
      ]);
      const failed = opened.find((o) => o.status === 'rejected');
      if (failed) throw failed.reason;
      [a, aListener, b, bListener] = opened.map((o) => (o as PromiseFulfilledResult<Receiver>).value);
    } catch (error) {
      return connectFailed(target, options, { roomId, messages, started }, (error as Error).message);
    }

    // Warm-up: each region's presence must replicate to the other before a send there invokes the relay.
    const warmStarted = performance.now();
    const warm = (sender: Receiver, listener: Receiver, tag: string) =>
      warmUp(sender, listener, { roomId, tag, run, timeoutMs });
    const [warmAB, warmBA] = await Promise.all([warm(a, b, 'ab'), warm(b, a, 'ba')]);
    const warmupMs = round(performance.now() - warmStarted);

    const sentA = new Map<string, number>();
    const sentB = new Map<string, number>();
    const sendAll = async (sender: Receiver, sent: Map<string, number>, tag: string) => {
      for (let i = 0; i < messages; i++) {
        const id = `rt-${tag}-${run}-${i}`;
        sent.set(id, await sendAndAck(sender.client, roomId, id, `relay test ${tag} ${i}`));
      }
    };
    await Promise.all([sendAll(a, sentA, 'ab'), sendAll(b, sentB, 'ba')]);
    // Wait until every receiver has every message, or the timeout after the last send.
    const complete = () =>
      [
        [sentA, b],
        [sentA, aListener],
        [sentB, a],
        [sentB, bListener],
      ].every(([sent, at]) =>
        [...(sent as Map<string, number>).keys()].every((id) => (at as Receiver).arrivals.has(id)),
      );
    const deadline = performance.now() + timeoutMs;
    while (!complete() && performance.now() < deadline) await sleep(10);
    // A short grace period so that late duplicates are seen too.
    await sleep(100);

    const deliveries = [
      stats('relay', options.from, options.to, sentA, b),
      stats('baseline', options.from, options.from, sentA, aListener),
      stats('relay', options.to, options.from, sentB, a),
      stats('baseline', options.to, options.to, sentB, bListener),
    ];
    const problems = relayProblems(options, deliveries, { warmAB, warmBA, timeoutMs });
    return {
      target: target.kind,
      verdict: problems.length ? 'degraded' : 'healthy',
      roomId,
      from: options.from,
      to: options.to,
      messages,
      elapsedMs: round(performance.now() - started),
      warmupMs,
      deliveries,
      problems,
    };
  } finally {
    await Promise.all(clients.map((client) => client.close().catch(() => {})));
  }
}
