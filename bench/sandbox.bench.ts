/**
 * Sandbox benchmark: start time and memory; the DynamoDB Local PutItem round trip (the floor); same-region
 * delivery latency to every member of a room of 10 and of 100; cross-region delivery through the relay (its
 * Invoke crosses the network time, well under the default replication lag); sustained messages/s; then the floors under them (cpu-floor.ts: the AWS SDK's CPU per
 * call, DynamoDB Local's per operation, and the rate the measured CPU per message allows). The sandbox runs
 * as its own process, as `chatctl sandbox up` runs it (the built CLI, `sandbox up --detach` in a temporary
 * directory), so the benchmark's WebSocket clients do not share its thread. The latencies and the rate are
 * measured after a warm-up at load (a sandbox that has been up a while); the start time is a cold start.
 * Sends carry what `chatctl chat` sends (ULID clientMsgIds from core/message-id.ts; each waits for the ack of
 * the one before, so names no `after`), so the figures measure the path real clients take; the sustained rate
 * is measured again with opaque clientMsgIds, which is all the bench sent before issue 13 (comparable with
 * older figures), and with bursts (five sends at once, chained by `after` and `more`, as ChatClient sends
 * sends made together: the ordered path).
 * Last, the CPU cost per request of --verify-signatures (signature-cost.ts).
 * Run `npm run build` first, then: npm run bench -- sandbox
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { WebSocket } from 'ws';
import { clientIdClock } from '../core/message-id.js';
import { names } from '../core/names.js';
import { connectProtocols } from '../core/protocol.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../core/runtime-env.js';
import { defaultTopology } from '../core/topology.js';
import { signDevToken } from '../runtime/auth/dev-token.js';
import { defaultLagMs } from '../sandbox/latency.js';
import { readSandboxState, type SandboxState } from '../sandbox/state.js';
import { engineOpCost, processCpuMs, sdkCallCost } from './cpu-floor.js';
import { signatureCost } from './signature-cost.js';
import { fmt, percentile, row } from './support.js';

const runJs = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'run.js');
const exec = promisify(execFile);

/** The built CLI, run in `cwd` (with the sandbox's state in `cwd`/.chatctl: its own, beside any other). */
async function chatctl(cwd: string, args: string[]): Promise<void> {
  await exec(process.execPath, [runJs, ...args], {
    cwd,
    env: {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      NO_COLOR: '1',
      CHATCTL_HOME: join(cwd, '.chatctl'),
    },
    timeout: 120_000,
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free edge port whose next few ports (the regions' gateways) are free too. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    let free = true;
    for (let p = port; p < port + 6 && free; p++) free = await portFree(p);
    if (free) return port;
  }
  throw new Error('no free port found for the sandbox');
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Frame = Record<string, unknown> & { type?: string };

interface Client {
  ws: WebSocket;
  /** Every frame goes to each (a set: waiters come and go in any order). */
  readonly listeners: Set<(frame: Frame) => void>;
}

/** What a client sends, as ChatClient (and so `chatctl chat`) does. */
type Ids = 'ulid' | 'opaque';

/**
 * Sends one message as `chatctl chat` does: a ULID clientMsgId on a strictly increasing clock, with the order
 * fields ChatClient would give it (send-order.ts). With `opaque` ids (what the bench sent before issue 13's
 * client, and what older clients send) the server takes its per-region path instead.
 */
function sendMessage(
  client: Client,
  roomId: string,
  text: string,
  ids: Ids,
  opaqueId: string,
  order: { after?: string; more?: true } = {},
): string {
  const clientMsgId = ids === 'ulid' ? nextClientMsgId() : opaqueId;
  client.ws.send(JSON.stringify({ action: 'send', roomId, text, clientMsgId, ...order }));
  return clientMsgId;
}

const nextClientMsgId = clientIdClock();

function rssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

const cpuMs = (pid: number) => {
  try {
    return processCpuMs(pid);
  } catch {
    return Number.NaN;
  }
};

async function connect(url: string, userId: string): Promise<Client> {
  const token = signDevToken({ userId, ttlSeconds: 3600, secret: SANDBOX_DEV_TOKEN_SECRET });
  const ws = new WebSocket(url, connectProtocols(token));
  const client: Client = { ws, listeners: new Set() };
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    for (const listener of [...client.listeners]) listener(frame);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return client;
}

function waitFrame(client: Client, predicate: (frame: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs);
    const listener = (frame: Frame) => {
      if (!predicate(frame)) return;
      clearTimeout(timer);
      client.listeners.delete(listener);
      resolve(frame);
    };
    client.listeners.add(listener);
  });
}

async function room(sandbox: SandboxState, members: { region: string; user: string }[], roomId: string) {
  const clients: Client[] = [];
  for (let i = 0; i < members.length; i += 10) {
    const batch = members.slice(i, i + 10);
    clients.push(
      ...(await Promise.all(
        batch.map(async (m) => {
          const client = await connect(sandbox.regions[m.region].websocketUrl, m.user);
          const joined = waitFrame(client, (f) => f.type === 'joined');
          client.ws.send(JSON.stringify({ action: 'join', roomId }));
          await joined;
          return client;
        }),
      )),
    );
  }
  // Let the joins' replication to the other regions pass (the in-process API could wait for it; from outside
  // the longest default lag plus a margin does).
  await pause(1000);
  return clients;
}

const messageId = (frame: Frame) => (frame.message as { clientMsgId?: string } | undefined)?.clientMsgId;

/**
 * Sends `count` messages one after another; each time is send -> every receiver has it. The next is sent once
 * the ack is in too, so (as with ChatClient) it names no `after`.
 */
async function deliveries(
  sender: Client,
  receivers: Client[],
  roomId: string,
  count: number,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    let id = '';
    const all = receivers.map((r) => waitFrame(r, (f) => f.type === 'message' && messageId(f) === id));
    const ack = waitFrame(sender, (f) => f.type === 'ack' && f.clientMsgId === id);
    const started = performance.now();
    id = sendMessage(sender, roomId, `message ${i}`, 'ulid', '');
    await Promise.all(all);
    times.push(performance.now() - started);
    await ack;
  }
  return times;
}

/**
 * 10 members of one room each send back to back for `ms`: the next after the ack, or `burst` sends at once
 * (chained by `after`, each but the last with `more`) and the next burst after all their acks.
 */
async function sustained(sandbox: SandboxState, ms: number, ids: Ids = 'ulid', burst = 1) {
  const roomId = `bench-tp-${Date.now()}`;
  const members = Array.from({ length: 10 }, (_, i) => ({ region: 'seoul', user: `tp${i}` }));
  const clients = await room(sandbox, members, roomId);
  let sent = 0;
  let delivered = 0;
  for (const c of clients) {
    c.listeners.add((f) => {
      if (f.type === 'message') delivered++;
    });
  }
  const began = performance.now();
  const until = began + ms;
  await Promise.all(
    clients.map(async (client, index) => {
      let i = 0;
      while (performance.now() < until) {
        const burstIds = new Set<string>();
        let acked = 0;
        const acks = waitFrame(
          client,
          (f) => f.type === 'ack' && burstIds.has(f.clientMsgId as string) && ++acked === burst,
        );
        let previous: string | undefined;
        for (let b = 0; b < burst; b++) {
          const order = {
            ...(previous ? { after: previous } : {}),
            ...(b < burst - 1 ? { more: true as const } : {}),
          };
          previous = sendMessage(client, roomId, 'load', ids, `tp${index}-${i++}`, order);
          burstIds.add(previous);
        }
        await acks;
        sent += burst;
      }
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  close(clients);
  return { sent, delivered, seconds };
}

function close(clients: Client[]): void {
  for (const c of clients) c.ws.close();
}

const stats = (times: number[]) => `p50 ${fmt(percentile(times, 50))}  p99 ${fmt(percentile(times, 99))}`;

export async function run(): Promise<void> {
  if (!existsSync(join(dirname(runJs), '..', 'dist'))) throw new Error('run `npm run build` first');
  const cwd = await mkdtemp(join(tmpdir(), 'chatctl-bench-'));
  try {
    const startedAt = performance.now();
    await chatctl(cwd, ['sandbox', 'up', '--detach', '--port', String(await freePort())]);
    const startMs = performance.now() - startedAt;
    try {
      const sandbox = await readSandboxState(join(cwd, '.chatctl', 'sandbox.json'));
      if (!sandbox) throw new Error('sandbox up --detach wrote no .chatctl/sandbox.json');
      await measure(sandbox, startMs);
      await slowRegion(sandbox, cwd);
    } finally {
      await chatctl(cwd, ['sandbox', 'down']);
    }
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
  await signatureCost();
}

async function measure(sandbox: SandboxState, startMs: number): Promise<void> {
  const tableName = names.table(defaultTopology());
  {
    row('sandbox start (3 regions, JVM included)', fmt(startMs));
    row(
      'resident memory after start',
      `node ${rssMiB(sandbox.pid).toFixed(0)} MiB + DynamoDB Local ${rssMiB(sandbox.dynamodb.pid).toFixed(0)} MiB`,
    );

    // Warm-up: a sandbox that has been up a while has its JIT work done (V8's and the engine's); a fresh one
    // spends its first seconds compiling. The figures below are the warm ones; the start time above is cold.
    await sustained(sandbox, 8000);
    await pause(500);

    // The floor: PutItem straight to DynamoDB Local, and through the edge.
    const direct = new DynamoDBClient({
      region: 'ap-northeast-2',
      endpoint: sandbox.dynamodb.endpoint,
      credentials: { accessKeyId: sandbox.instanceId ?? 'chatctl', secretAccessKey: 'x' },
    });
    const viaEdge = new DynamoDBClient({
      region: 'ap-northeast-2',
      endpoint: sandbox.edge,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'x' },
    });
    const puts = async (client: DynamoDBClient, n: number) => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { pk: { S: 'BENCH' }, sk: { S: `put-${i % 20}` }, v: { N: String(i) } },
          }),
        );
        times.push(performance.now() - t);
      }
      return times.slice(20);
    };
    const floor = await puts(direct, 520);
    const edgePuts = await puts(viaEdge, 520);
    row('DynamoDB Local PutItem round trip (floor)', stats(floor));
    row('PutItem through the edge', stats(edgePuts));
    await pause(1000);

    // Same region, a room of 10 and of 100.
    for (const size of [10, 100]) {
      const roomId = `bench-${size}-${Date.now()}`;
      const members = Array.from({ length: size }, (_, i) => ({ region: 'seoul', user: `u${size}-${i}` }));
      const clients = await room(sandbox, members, roomId);
      await deliveries(clients[0], clients, roomId, 10); // warm-up
      const times = await deliveries(clients[0], clients, roomId, size === 10 ? 200 : 60);
      const p50 = percentile(times, 50);
      const floorP50 = percentile(floor, 50);
      row(
        `same-region delivery, room of ${size}`,
        `${stats(times)}  (${(p50 / (2 * floorP50)).toFixed(1)}x two PutItems)`,
      );
      close(clients);
    }

    // Cross-region through the relay: the Invoke's network time, not the (default) replication lag.
    {
      const roomId = `bench-x-${Date.now()}`;
      const [seoul, tokyo, na] = await room(
        sandbox,
        [
          { region: 'seoul', user: 'xs' },
          { region: 'tokyo', user: 'xt' },
          { region: 'na', user: 'xn' },
        ],
        roomId,
      );
      await deliveries(seoul, [tokyo, na], roomId, 5);
      const toTokyo = await deliveries(seoul, [tokyo], roomId, 60);
      const toNa = await deliveries(seoul, [na], roomId, 60);
      row('cross-region delivery seoul -> tokyo (relay)', stats(toTokyo));
      row('cross-region delivery seoul -> na (relay)', stats(toNa));
      row(
        'replication lag seoul -> tokyo / seoul -> na (configured)',
        `${lag(sandbox, 'seoul', 'tokyo')} ms / ${lag(sandbox, 'seoul', 'na')} ms`,
      );
      close([seoul, tokyo, na]);
    }

    // Sustained throughput: 10 members of one room each send back to back (next after the ack) for 10 s, with
    // the ULID clientMsgIds `chatctl chat` sends (the figure to watch), then with opaque ones as the bench
    // sent before issue 13 (the per-region path, comparable with figures from before).
    let cpuPerMessageMs = Number.NaN;
    const runs = [
      { ids: 'ulid', burst: 1, label: 'ULID ids' },
      { ids: 'opaque', burst: 1, label: 'opaque ids' },
      // Last, so that what its ordered pushes leave running is not counted in the other rows.
      { ids: 'ulid', burst: 5, label: 'ULID ids, bursts of 5' },
    ] as const;
    for (const { ids, burst, label } of runs) {
      const cpuBefore = { node: cpuMs(sandbox.pid), engine: cpuMs(sandbox.dynamodb.pid) };
      const { sent, delivered, seconds } = await sustained(sandbox, 10_000, ids, burst);
      const node = (cpuMs(sandbox.pid) - cpuBefore.node) / sent;
      const engine = (cpuMs(sandbox.dynamodb.pid) - cpuBefore.engine) / sent;
      if (ids === 'ulid' && burst === 1) cpuPerMessageMs = node + engine;
      row(
        `sustained messages/s (room of 10, ${label})`,
        `${(sent / seconds).toFixed(0)} msg/s sent, ${(delivered / seconds).toFixed(0)} deliveries/s`,
      );
      row(
        `CPU per message at that rate (${label})`,
        `node ${node.toFixed(1)} ms + DynamoDB Local ${engine.toFixed(1)} ms`,
      );
      await pause(500);
    }
    row(
      'resident memory after the runs',
      `node ${rssMiB(sandbox.pid).toFixed(0)} MiB + DynamoDB Local ${rssMiB(sandbox.dynamodb.pid).toFixed(0)} MiB`,
    );

    // The floors under those figures: what the required engines cost per call on this machine.
    {
      const sdk = await sdkCallCost();
      const engine = await engineOpCost(sandbox.dynamodb.endpoint, sandbox.dynamodb.pid);
      row(
        'AWS SDK v3 CPU per call (no network, no engine)',
        `PostToConnection ${sdk.postMs.toFixed(2)} ms, Query ${sdk.queryMs.toFixed(2)} ms, TransactWriteItems ${sdk.transactMs.toFixed(2)} ms`,
      );
      row(
        'DynamoDB Local CPU per operation',
        `PutItem ${engine.putMs.toFixed(2)} ms, Query ${engine.queryMs.toFixed(2)} ms, TransactWriteItems ${engine.transactMs.toFixed(2)} ms, BatchWriteItem of 2 ${engine.batchOfTwoMs.toFixed(2)} ms`,
      );
      // A message to a room of 10 with a ULID clientMsgId, sent alone (docs/protocol.md, Cost of a send): the
      // presence Query, the message's PutItem, the Query after it, the ack and 10 posts through the SDK (a
      // single write's CPU taken as a TransactWriteItems'); in the engine the same three here and the
      // replicated message in each of the other two regions.
      const sdkPerMessage = 2 * sdk.queryMs + sdk.transactMs + 11 * sdk.postMs;
      const enginePerMessage = 2 * engine.queryMs + 3 * engine.putMs;
      const cores = availableParallelism();
      row(
        'engines alone per message (room of 10)',
        `SDK ${sdkPerMessage.toFixed(1)} ms + DynamoDB Local ${enginePerMessage.toFixed(1)} ms: at most ${((cores * 1000) / (sdkPerMessage + enginePerMessage)).toFixed(0)} msg/s on ${cores} cores`,
      );
      row(
        'measured CPU per message: ceiling',
        `${((cores * 1000) / cpuPerMessageMs).toFixed(0)} msg/s on ${cores} cores (30x Architect: 300-390)`,
      );
      row(
        'room of 100: SDK CPU of its 101 posts alone',
        `${(101 * sdk.postMs).toFixed(1)} ms on one thread (3x two PutItems: ${(6 * percentile(floor, 50)).toFixed(1)} ms)`,
      );
    }
    direct.destroy();
    viaEdge.destroy();
  }
}

/** The default lag between two regions (the sandbox runs with no lag setting, so this is what it uses). */
/**
 * A healthy region's send ack while another region is 10 s slow (`sandbox fault tokyo latency=10000`), a
 * tokyo member in the room: the ack waits at most the push budget on tokyo (docs/protocol.md, Budgets).
 * Sends one after another, each after its ack; last, so that what the slow region leaves running is not
 * counted elsewhere.
 */
async function slowRegion(sandbox: SandboxState, cwd: string): Promise<void> {
  const roomId = `bench-slow-${Date.now()}`;
  const [seoul, tokyo] = await room(
    sandbox,
    [
      { region: 'seoul', user: 'ss' },
      { region: 'tokyo', user: 'st' },
    ],
    roomId,
  );
  await chatctl(cwd, ['sandbox', 'fault', 'tokyo', 'latency=10000']);
  try {
    const acks: number[] = [];
    for (let i = 0; i < 12; i++) {
      const clientMsgId = nextClientMsgId();
      const started = performance.now();
      const ack = waitFrame(seoul, (f) => f.type === 'ack' && f.clientMsgId === clientMsgId, 60_000);
      seoul.ws.send(JSON.stringify({ action: 'send', roomId, text: `slow ${i}`, clientMsgId }));
      await ack;
      acks.push(performance.now() - started);
    }
    row('send ack in seoul while tokyo is 10 s slow (12 sends)', stats(acks));
  } finally {
    await chatctl(cwd, ['sandbox', 'heal', 'tokyo']);
    close([seoul, tokyo]);
  }
}

const lag = (sandbox: SandboxState, from: string, to: string) =>
  defaultLagMs(sandbox.regions[from].awsRegion, sandbox.regions[to].awsRegion);
