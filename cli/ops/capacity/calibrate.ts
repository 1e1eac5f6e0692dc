/**
 * `capacity --calibrate`: runs the real handlers in a sandbox on this machine, with the meter (meter.ts) on
 * their AWS clients, and measures what each operation costs: DynamoDB calls and units, @connections posts,
 * relay Invokes, bytes, replicated writes and handler durations. The planner's table (costs.ts) is compared
 * with these figures by the calibrate test; the command prints them side by side.
 */
import { randomBytes } from 'node:crypto';
import { SANDBOX_DEV_TOKEN_SECRET } from '../../../core/runtime-env.js';
import { defaultTopology, type Topology } from '../../../core/topology.js';
import type { AwsRequestHandler } from '../../../runtime/app.js';
import { signDevToken } from '../../../runtime/auth/dev-token.js';
import { ChatClient } from '../../../runtime/chat-client/client.js';
import type { Sandbox, SandboxOptions } from '../../../sandbox/index.js';
import type { HostedChatApp } from '../../../sandbox/runtime-host.js';
import { type RegionCost, ZERO_COST } from './costs.js';
import { Meter, type MeteredCall, type MeteredRun } from './meter.js';

export interface CalibrateOptions {
  /** Passed to the sandbox's start (tests share one DynamoDB Local through dynamoEndpoint). */
  readonly sandbox?: SandboxOptions;
  /** Messages sent per send scenario (durations are their mean; counts must be the same each time). */
  readonly repeats?: number;
  /** Bytes of each message's text. */
  readonly textBytes?: number;
}

/** What one scenario cost, per region whose handlers ran. */
export interface MeasuredScenario {
  readonly name: string;
  readonly description: string;
  /** Per region key: the calls and units per operation (divided by the repeats). */
  readonly regions: Readonly<Record<string, RegionCost>>;
  /** Replicated writes the sandbox's Global Table replication applied, per operation. */
  readonly replicatedWrites: number;
  /** Load-level reads seen during the scenario (cached per instance, so not a cost of each operation). */
  readonly cachedReads: number;
  /** Mean handler duration per route and region (`route@region`) during the scenario, ms. */
  readonly durationsMs: Readonly<Record<string, number>>;
  /** The shortest run of each, ms: what the code path takes when the machine is not busy elsewhere. */
  readonly minDurationsMs: Readonly<Record<string, number>>;
}

export interface Calibration {
  readonly measuredAt: string;
  readonly regions: readonly string[];
  readonly textBytes: number;
  readonly repeats: number;
  readonly scenarios: readonly MeasuredScenario[];
}

/** A connection id in the room, for the scenario's bookkeeping. */
interface Member {
  readonly region: string;
  readonly client: ChatClient;
}

/** The load-level read: each handler instance makes it at most every 5 s, whatever it handles. */
export const CACHED_READ = 'dynamodb:GetItem(load level)';

function aggregate(calls: readonly MeteredCall[], repeats: number): Record<string, RegionCost> {
  const out: Record<string, { -readonly [K in keyof RegionCost]: RegionCost[K] }> = {};
  for (const call of calls.filter((c) => c.operation !== CACHED_READ)) {
    out[call.region] ??= { ...ZERO_COST, calls: {} };
    const cost = out[call.region];
    const counts = cost.calls as Record<string, number>;
    counts[call.operation] = (counts[call.operation] ?? 0) + 1 / repeats;
    cost.writeUnits += call.writeUnits / repeats;
    cost.readUnits += call.readUnits / repeats;
    cost.itemsWritten += call.itemsWritten / repeats;
    cost.itemBytes += call.itemBytes / repeats;
    cost.readBytes += call.readBytes / repeats;
    if (call.operation === 'apigateway:PostToConnection') cost.postBytes += call.requestBytes / repeats;
    if (call.operation === 'lambda:Invoke') cost.invokeBytes += call.requestBytes / repeats;
  }
  for (const cost of Object.values(out)) {
    for (const [op, n] of Object.entries(cost.calls)) (cost.calls as Record<string, number>)[op] = round(n);
    for (const k of [
      'writeUnits',
      'readUnits',
      'itemsWritten',
      'itemBytes',
      'readBytes',
      'postBytes',
      'invokeBytes',
    ] as const)
      cost[k] = round(cost[k]);
  }
  return out;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The app of one region with its handlers timed by the meter. */
function timedApp(meter: Meter, region: string, app: HostedChatApp): HostedChatApp {
  const routeOf = (event: unknown): string => {
    try {
      const body = (event as { body?: string }).body;
      return String((JSON.parse(body ?? '{}') as { action?: string }).action ?? 'default');
    } catch {
      return 'default';
    }
  };
  return {
    connect: (event) => meter.time(region, 'connect', () => app.connect(event)),
    disconnect: (event) => meter.time(region, 'disconnect', () => app.disconnect(event)),
    message: (event) => meter.time(region, routeOf(event), () => app.message(event)),
    relay: (payload) => meter.time(region, 'relay', () => app.relay(payload)),
    health: (event) => app.health(event),
  };
}

/** Starts a sandbox whose handlers are metered (in-process transport: every call passes the meter). */
export async function startMeteredSandbox(
  meter: Meter,
  topology: Topology,
  options: SandboxOptions = {},
): Promise<Sandbox> {
  const [{ start }, { defaultChatAppFactory }] = await Promise.all([
    import('../../../sandbox/index.js'),
    import('../../../sandbox/runtime-host.js'),
  ]);
  const create = await defaultChatAppFactory();
  return start(topology, {
    port: 0,
    globalServices: false,
    instanceId: `cal${randomBytes(6).toString('hex')}`,
    // The surge controller's own writes (the level and the replication lag it stores, replicated) are not a
    // chat operation's cost; left running they add to the counts whenever the measured lag moves.
    surge: false,
    ...options,
    transport: 'in-process',
    createApp: async (config, deps) => {
      const requestHandler: AwsRequestHandler | undefined = deps.requestHandler
        ? meter.wrap(config.regionKey, deps.requestHandler)
        : undefined;
      const app = await create(config, { ...deps, requestHandler });
      return timedApp(meter, config.regionKey, app);
    },
  });
}

/** Runs `operation` `repeats` times and measures it; replication is settled before and after. */
async function measure(
  sandbox: Sandbox,
  meter: Meter,
  scenario: { name: string; description: string; repeats: number },
  operation: (i: number) => Promise<void>,
): Promise<MeasuredScenario> {
  await meter.idle();
  await sandbox.replication.settle();
  meter.reset();
  const firstRun = meter.runs.length;
  const appliedBefore = sandbox.replication.stats.applied;
  for (let i = 0; i < scenario.repeats; i++) {
    await operation(i);
    await meter.idle();
  }
  await sandbox.replication.settle();
  const replicated = sandbox.replication.stats.applied - appliedBefore;
  return {
    name: scenario.name,
    description: scenario.description,
    regions: aggregate(meter.calls, scenario.repeats),
    replicatedWrites: round(replicated / scenario.repeats),
    cachedReads: meter.calls.filter((c) => c.operation === CACHED_READ).length,
    ...durations(meter.runs.slice(firstRun)),
  };
}

/** One calibration in progress: its sandbox, its meter and the clients it opened. */
class Run {
  readonly clients: ChatClient[] = [];
  readonly scenarios: MeasuredScenario[] = [];
  readonly tag = randomBytes(3).toString('hex');
  readonly text: string;

  constructor(
    readonly sandbox: Sandbox,
    readonly meter: Meter,
    readonly repeats: number,
    readonly textBytes: number,
  ) {
    this.text = 'x'.repeat(textBytes);
  }

  async connectAs(region: string, userId: string): Promise<Member> {
    const client = await ChatClient.connect({
      url: this.sandbox.regions.get(region)!.websocketUrl,
      token: signDevToken({ userId, ttlSeconds: 3600, secret: SANDBOX_DEV_TOKEN_SECRET }),
    });
    this.clients.push(client);
    return { region, client };
  }

  async measure(name: string, description: string, operation: (i: number) => Promise<void>): Promise<void> {
    const scenario = { name, description, repeats: this.repeats };
    this.scenarios.push(await measure(this.sandbox, this.meter, scenario, operation));
  }
}

/** A room of `local` members in seoul and `remote` in tokyo; the first seoul member sends, all receive. */
async function sendScenario(run: Run, name: string, local: number, remote: number, description: string) {
  const room = `cal-${name}-${run.tag}`;
  const members: Member[] = [];
  for (let i = 0; i < local; i++) members.push(await run.connectAs('seoul', `user${i}s${run.tag}`));
  for (let i = 0; i < remote; i++) members.push(await run.connectAs('tokyo', `user${i}t${run.tag}`));
  for (const m of members) await m.client.join(room);
  const sender = members[0].client;
  await run.measure(name, description, async (i) => {
    const body = `${run.text.slice(0, run.textBytes - 4)}${String(i).padStart(4, '0')}`;
    const delivered = members.map((m) =>
      m.client.waitFor((f) => f.type === 'message' && f.message.text === body, 10_000),
    );
    await sender.send(room, body);
    await Promise.all(delivered);
  });
}

/** New connections: they connect, join a room with 5 messages, page its history, and close. */
async function connectionScenarios(run: Run) {
  const room = `cal-history-${run.tag}`;
  const writer = await run.connectAs('seoul', `writer${run.tag}`);
  await writer.client.join(room);
  for (let i = 0; i < 5; i++) await writer.client.send(room, run.text);
  const joiners: Member[] = [];
  await run.measure('connect', 'a new connection ($connect)', async (i) => {
    joiners[i] = await run.connectAs('seoul', `joiner${i}${run.tag}`);
  });
  await run.measure('join', 'join a room with 5 messages of history', async (i) => {
    await joiners[i].client.join(room);
  });
  await run.measure('history', 'one page of history', async (i) => {
    await joiners[i].client.history(room);
  });
  await run.measure('disconnect', 'a connection in one room closes ($disconnect)', async (i) => {
    await joiners[i].client.close();
    // $disconnect runs after the socket closes; no connection closed before this scenario.
    await waitUntil(() => disconnects(run.meter) > i);
  });
}

/** The chat operations the planner models, measured on a sandbox of its own. */
export async function calibrate(options: CalibrateOptions = {}): Promise<Calibration> {
  const topology = defaultTopology();
  const meter = new Meter();
  const sandbox = await startMeteredSandbox(meter, topology, options.sandbox);
  const run = new Run(sandbox, meter, options.repeats ?? 10, options.textBytes ?? 100);
  try {
    await sendScenario(
      run,
      'send-10-local',
      10,
      0,
      'send in a room of 10, every member in the sender region',
    );
    await sendScenario(
      run,
      'send-10-remote-1',
      8,
      2,
      'send in a room of 10: 8 in the sender region, 2 in one other',
    );
    await connectionScenarios(run);
    return {
      measuredAt: new Date().toISOString(),
      regions: topology.regions.map((r) => r.key),
      textBytes: run.textBytes,
      repeats: run.repeats,
      scenarios: run.scenarios,
    };
  } finally {
    await Promise.all(run.clients.map((c) => c.close().catch(() => {})));
    await sandbox.stop();
  }
}

const disconnects = (meter: Meter) => meter.runs.filter((r) => r.route === 'disconnect').length;

async function waitUntil(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`calibration: nothing happened within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Mean and shortest duration per `route@region`; a route's first run in a scenario is left out (cold). */
function durations(runs: readonly MeteredRun[]): Pick<MeasuredScenario, 'durationsMs' | 'minDurationsMs'> {
  const byRoute = new Map<string, number[]>();
  for (const run of runs) {
    const key = `${run.route}@${run.region}`;
    byRoute.set(key, [...(byRoute.get(key) ?? []), run.ms]);
  }
  const mean: Record<string, number> = {};
  const min: Record<string, number> = {};
  const tenth = (n: number) => Math.round(n * 10) / 10;
  for (const [key, all] of byRoute) {
    const warm = all.length > 2 ? all.slice(1) : all;
    mean[key] = tenth(warm.reduce((a, b) => a + b, 0) / warm.length);
    min[key] = tenth(Math.min(...warm));
  }
  return { durationsMs: mean, minDurationsMs: min };
}
