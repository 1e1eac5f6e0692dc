/**
 * The surge drill's load generator: a bounded number of chat clients against one region's WebSocket API, in one
 * of two profiles, measured per second. `new-year`: every member online sends at once, and a client whose ack
 * does not come in time reconnects and retries (the same clientMsgId, so the retry is idempotent). `earthquake`:
 * steady chat, with a wave of background logins on top ($connect, retried with backoff as woken phones do).
 * Everything it opens it closes; connections and rates are capped to what the machine can carry (surgeCaps).
 */
import { availableParallelism } from 'node:os';
import type { ServerFrame } from '../../../core/protocol.js';
import { ChatClient } from '../../../runtime/chat-client/client.js';
import { ChatClientError } from '../../../runtime/chat-client/socket.js';
import { percentile } from '../time.js';

export type SurgeProfile = 'new-year' | 'earthquake';
export const SURGE_PROFILES: readonly SurgeProfile[] = ['new-year', 'earthquake'];

/** What this machine is asked to carry: the load generator never goes beyond it. */
export interface SurgeCaps {
  readonly cores: number;
  readonly connections: number;
  readonly sendsPerSecond: number;
  readonly loginsPerSecond: number;
}

/** Per core, what the sandbox (handlers, DynamoDB Local and this generator sharing it) can be asked for. */
export function surgeCaps(cores = availableParallelism()): SurgeCaps {
  return { cores, connections: 40 * cores, sendsPerSecond: 120 * cores, loginsPerSecond: 40 * cores };
}

export interface LoadPlan {
  readonly profile: SurgeProfile;
  readonly members: number;
  readonly roomSize: number;
  readonly sendsPerSecond: number;
  readonly loginsPerSecond: number;
  /** A send not acked within this is, to the client, a timeout (new-year: it reconnects and retries). */
  readonly ackTimeoutMs: number;
}

export function planFor(profile: SurgeProfile, caps: SurgeCaps): LoadPlan {
  if (profile === 'new-year') {
    return {
      profile,
      members: caps.connections,
      roomSize: 8,
      sendsPerSecond: caps.sendsPerSecond,
      loginsPerSecond: 0,
      ackTimeoutMs: 1000,
    };
  }
  return {
    profile,
    members: Math.max(4, Math.floor(caps.connections / 2)),
    roomSize: 8,
    sendsPerSecond: Math.max(4, Math.floor(caps.sendsPerSecond / 5)),
    loginsPerSecond: caps.loginsPerSecond,
    ackTimeoutMs: 1000,
  };
}

/** One second of the run. */
export interface LoadSecond {
  readonly t: number;
  sends: number;
  acks: number;
  sendErrors: number;
  ackMs: number[];
  deliveryMs: number[];
  connects: number;
  connected: number;
  /** Refused by the load level (HTTP 429). */
  shed: number;
  /** Refused by the integration (HTTP 500: a throttled or failed $connect). */
  failed: number;
  reconnects: number;
}

export interface LoadTarget {
  readonly url: string;
  token(userId: string): string;
}

interface Client {
  readonly userId: string;
  readonly room: string;
  socket: ChatClient | undefined;
  /** clientMsgId -> when it was first sent (performance.now()). */
  readonly pending: Map<string, number>;
  reconnecting: boolean;
}

type ConnectOutcome = 'ok' | 'shed' | 'failed';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** A bound on a wait that does not itself keep the process alive. */
const bound = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Runs the plan for `durationMs` after connecting the members (not measured), then closes everything. `tag`
 * keeps user ids and message ids of two runs apart.
 */
export async function runLoad(
  target: LoadTarget,
  plan: LoadPlan,
  options: { durationMs: number; tag: string; onStart?: () => void },
): Promise<LoadSecond[]> {
  const seconds: LoadSecond[] = [];
  let start = performance.now();
  const second = (): LoadSecond => {
    const t = Math.max(0, Math.floor((performance.now() - start) / 1000));
    while (seconds.length <= t) {
      seconds.push({
        t: seconds.length,
        sends: 0,
        acks: 0,
        sendErrors: 0,
        ackMs: [],
        deliveryMs: [],
        connects: 0,
        connected: 0,
        shed: 0,
        failed: 0,
        reconnects: 0,
      });
    }
    return seconds[t];
  };
  let measuring = false;
  const count = (apply: (s: LoadSecond) => void) => {
    if (measuring) apply(second());
  };
  /** Message ids' send times, to time their delivery to other members. */
  const sentAt = new Map<string, number>();
  const sockets = new Set<ChatClient>();
  /** Set when the run ends: a connection that opens after it is closed at once, and no retry starts. */
  let stopping = false;

  const open = async (
    userId: string,
    onFrame?: (frame: ServerFrame) => void,
  ): Promise<{ outcome: ConnectOutcome; socket?: ChatClient }> => {
    if (stopping) return { outcome: 'failed' };
    count((s) => s.connects++);
    let socket: ChatClient;
    try {
      // No gap filling: the generator reads no history, so it adds no load of its own beyond its plan.
      socket = await ChatClient.connect({
        url: target.url,
        token: target.token(userId),
        connectTimeoutMs: 5000,
        timeoutMs: 3000,
        fillGaps: false,
      });
    } catch (error) {
      const outcome = error instanceof ChatClientError && error.status === 429 ? 'shed' : 'failed';
      count((s) => (outcome === 'shed' ? s.shed++ : s.failed++));
      return { outcome };
    }
    if (stopping) {
      // A late reconnect must not keep the process alive after the run.
      socket.terminate();
      return { outcome: 'failed' };
    }
    count((s) => s.connected++);
    sockets.add(socket);
    void socket.closed.then(() => sockets.delete(socket));
    if (onFrame) socket.onFrame(onFrame);
    return { outcome: 'ok', socket };
  };

  const frameHandler = (client: Client) => (frame: ServerFrame) => {
    const now = performance.now();
    if (frame.type === 'ack') {
      const at = client.pending.get(frame.clientMsgId);
      if (at === undefined) return;
      client.pending.delete(frame.clientMsgId);
      count((s) => {
        s.acks++;
        s.ackMs.push(now - at);
      });
      sentAt.set(frame.messageId, at);
    } else if (frame.type === 'message' && frame.message.userId !== client.userId) {
      const at = sentAt.get(frame.message.messageId);
      if (at !== undefined) count((s) => s.deliveryMs.push(now - at));
    } else if (frame.type === 'error') {
      count((s) => s.sendErrors++);
    }
  };

  /** Connects (with a few retries) and joins the client's room; false when it could not. */
  const connectClient = async (client: Client, retries: number): Promise<boolean> => {
    for (let attempt = 0; attempt <= retries; attempt++) {
      const { outcome, socket } = await open(client.userId, frameHandler(client));
      if (outcome === 'ok' && socket) {
        client.socket = socket;
        // Joined, or 3 s passed (the client's request time limit): either way it starts sending.
        await socket.join(client.room).catch(() => {});
        return true;
      }
      if (stopping) return false;
      await sleep(100 * 2 ** attempt);
    }
    return false;
  };

  const clients: Client[] = Array.from({ length: plan.members }, (_, i) => ({
    userId: `surge-${options.tag}-${i}`,
    room: `surge-${options.tag}-${Math.floor(i / plan.roomSize)}`,
    socket: undefined,
    pending: new Map(),
    reconnecting: false,
  }));
  // Connect the members ten at a time before the measured window.
  for (let i = 0; i < clients.length; i += 10) {
    await Promise.all(clients.slice(i, i + 10).map((c) => connectClient(c, 3)));
  }

  measuring = true;
  start = performance.now();
  options.onStart?.();
  const end = start + options.durationMs;
  let seq = 0;
  const work = new Set<Promise<unknown>>();
  const spawn = (p: Promise<unknown>) => {
    work.add(p);
    void p.finally(() => work.delete(p));
  };

  const reconnect = (client: Client) => {
    if (client.reconnecting) return;
    client.reconnecting = true;
    count((s) => s.reconnects++);
    client.socket?.terminate();
    client.socket = undefined;
    spawn(
      connectClient(client, 3).then((ok) => {
        client.reconnecting = false;
        // The retry of every unacked message keeps its clientMsgId: the server answers it as a duplicate.
        if (ok) for (const id of client.pending.keys()) sendFrom(client, id, false);
      }),
    );
  };

  const sendFrom = (client: Client, clientMsgId: string, fresh: boolean) => {
    const socket = client.socket;
    if (!socket?.isOpen) return;
    if (fresh) client.pending.set(clientMsgId, performance.now());
    count((s) => s.sends++);
    socket.sendFrame({ action: 'send', roomId: client.room, clientMsgId, text: `surge ${clientMsgId}` });
  };

  const tickMs = 50;
  const sendsPerTick = (plan.sendsPerSecond * tickMs) / 1000;
  const loginsPerTick = (plan.loginsPerSecond * tickMs) / 1000;
  let sendBudget = 0;
  let loginBudget = 0;
  let login = 0;
  while (performance.now() < end) {
    sendBudget += sendsPerTick;
    loginBudget += loginsPerTick;
    while (sendBudget >= 1) {
      sendBudget--;
      const client = clients[seq % clients.length];
      seq++;
      sendFrom(client, `${options.tag}-${seq}`, true);
    }
    while (loginBudget >= 1) {
      loginBudget--;
      const userId = `wake-${options.tag}-${login++}`;
      // A woken phone logs in, retries a refusal with backoff, and goes back to sleep.
      spawn(
        (async () => {
          for (let attempt = 0; attempt < 3 && performance.now() < end; attempt++) {
            const { outcome, socket } = await open(userId);
            if (outcome === 'ok') {
              void socket?.close();
              return;
            }
            await sleep(200 * 2 ** attempt);
          }
        })(),
      );
    }
    const now = performance.now();
    for (const client of clients) {
      const oldest = client.pending.values().next().value;
      if (oldest !== undefined && now - oldest > plan.ackTimeoutMs && plan.profile === 'new-year') {
        reconnect(client);
      }
    }
    second();
    await sleep(tickMs);
  }
  measuring = false;
  // Acks in flight get a moment; then nothing new starts, and every connection, late ones included, is closed.
  await Promise.race([Promise.allSettled([...work]), bound(5000)]);
  stopping = true;
  for (const socket of sockets) socket.terminate();
  // What was still connecting ends by its handshake timeout (5 s) and is closed as it opens.
  await Promise.race([Promise.allSettled([...work]), bound(10_000)]);
  for (const socket of sockets) socket.terminate();
  return seconds.slice(0, Math.ceil(options.durationMs / 1000));
}

/** The run's totals and percentiles. */
export interface LoadSummary {
  readonly sends: number;
  readonly acks: number;
  readonly ackP50Ms: number;
  readonly ackP99Ms: number;
  readonly deliveryP50Ms: number;
  readonly deliveryP99Ms: number;
  readonly connects: number;
  readonly connectSuccessRate: number;
  readonly connectShedRate: number;
  readonly connectFailedRate: number;
  readonly reconnects: number;
}

const rate = (n: number, of: number) => (of === 0 ? 0 : n / of);
const ms = (value: number) => (Number.isNaN(value) ? 0 : Math.round(value * 10) / 10);

export function summarize(seconds: readonly LoadSecond[]): LoadSummary {
  const sum = (f: (s: LoadSecond) => number) => seconds.reduce((a, s) => a + f(s), 0);
  const ack = seconds.flatMap((s) => s.ackMs);
  const delivery = seconds.flatMap((s) => s.deliveryMs);
  const connects = sum((s) => s.connects);
  return {
    sends: sum((s) => s.sends),
    acks: sum((s) => s.acks),
    ackP50Ms: ms(percentile(ack, 50)),
    ackP99Ms: ms(percentile(ack, 99)),
    deliveryP50Ms: ms(percentile(delivery, 50)),
    deliveryP99Ms: ms(percentile(delivery, 99)),
    connects,
    connectSuccessRate: rate(
      sum((s) => s.connected),
      connects,
    ),
    connectShedRate: rate(
      sum((s) => s.shed),
      connects,
    ),
    connectFailedRate: rate(
      sum((s) => s.failed),
      connects,
    ),
    reconnects: sum((s) => s.reconnects),
  };
}

/** A second's send ack p99 and connect shed rate, for the timeline. */
export function secondFigures(s: LoadSecond): { ackP99Ms: number; shedRate: number } {
  return { ackP99Ms: ms(percentile(s.ackMs, 99)), shedRate: rate(s.shed, s.connects) };
}
