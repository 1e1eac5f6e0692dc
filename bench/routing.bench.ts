/**
 * Latency routing and the China proxy in the sandbox:
 * - failover: time from `gateway-down` of a region to TestDNSAnswer (from that region's probe subnet)
 *   answering another region, and from heal to it answering the region again, next to the floor
 *   (health-check interval x failure threshold) as a ratio;
 * - proxy overhead: send -> own broadcast received, through the China proxy and directly to the origin
 *   region, p50/p99 over interleaved messages, and the p50 difference.
 */
import { ListResourceRecordSetsCommand, Route53Client, TestDNSAnswerCommand } from '@aws-sdk/client-route-53';
import { names } from '../core/names.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../core/runtime-env.js';
import { defaultTopology } from '../core/topology.js';
import { signDevToken } from '../runtime/auth/dev-token.js';
import { ChatClient, type FrameOf } from '../runtime/chat-client/client.js';
import { start } from '../sandbox/index.js';
import { SANDBOX_CREDENTIALS } from '../sandbox/state.js';
import { fmt, median, percentile, row } from './support.js';

const REGION = 'tokyo';
const TRIALS = 3;
const MESSAGES = 200;
const POLL_MS = 10;

export async function run(): Promise<void> {
  const topology = defaultTopology();
  const intervalMs = topology.sandbox.healthCheckIntervalSeconds * 1000;
  const threshold = topology.sandbox.failureThreshold;
  const floor = intervalMs * threshold;
  const sandbox = await start(topology, {
    port: 0,
    globalServices: true,
    healthCheckIntervalMs: intervalMs,
    failureThreshold: threshold,
    onError: () => {},
  });
  const r53 = new Route53Client({
    region: 'us-east-1',
    endpoint: sandbox.edge,
    credentials: { ...SANDBOX_CREDENTIALS },
    maxAttempts: 1,
  });
  try {
    const chat = names.chatRecord(topology);
    const records = await r53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: topology.hostedZone.id }),
    );
    const regionOf = new Map<string, string>();
    for (const r of records.ResourceRecordSets ?? []) {
      if (r.Name === `${chat}.` && r.SetIdentifier)
        regionOf.set(r.ResourceRecords?.[0]?.Value ?? '', r.SetIdentifier);
    }
    const [ip, mask] = (topology.regions.find((r) => r.key === REGION)?.probeSubnet ?? '').split('/');
    const answer = async () => {
      const a = await r53.send(
        new TestDNSAnswerCommand({
          HostedZoneId: topology.hostedZone.id,
          RecordName: chat,
          RecordType: 'A',
          EDNS0ClientSubnetIP: ip,
          EDNS0ClientSubnetMask: mask,
        }),
      );
      return regionOf.get(a.RecordData?.[0] ?? '');
    };
    const until = async (want: (region: string | undefined) => boolean, limitMs: number) => {
      const started = performance.now();
      while (!want(await answer())) {
        if (performance.now() - started > limitMs) throw new Error('TestDNSAnswer did not move');
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      return performance.now() - started;
    };
    await until((r) => r === REGION, 30_000);
    const down: number[] = [];
    const back: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      sandbox.faults.inject(REGION, 'gateway-down');
      down.push(await until((r) => r !== REGION, floor * 10));
      sandbox.faults.heal(REGION);
      back.push(await until((r) => r === REGION, floor * 10));
    }
    row(
      `failover: interval ${intervalMs} ms x threshold ${threshold}`,
      `floor ${fmt(floor)} (polling TestDNSAnswer every ${POLL_MS} ms)`,
    );
    row(
      `  gateway-down -> answer moves (median of ${TRIALS})`,
      `${fmt(median(down))}  (${(median(down) / floor).toFixed(2)}x floor; max ${fmt(Math.max(...down))})`,
    );
    row(
      `  heal -> answer returns (median of ${TRIALS})`,
      `${fmt(median(back))}  (${(median(back) / floor).toFixed(2)}x floor; max ${fmt(Math.max(...back))})`,
    );

    const token = (userId: string) =>
      signDevToken({ userId, ttlSeconds: 600, secret: SANDBOX_DEV_TOKEN_SECRET });
    const proxied = await ChatClient.connect({
      url: sandbox.state.china?.url ?? '',
      token: token('proxied'),
    });
    // The region the proxy's origin (chat.<domain>, or a pinned region) resolves to from its edge.
    const origin = (await proxied.ping()).region;
    const direct = await ChatClient.connect({
      url: sandbox.regions.get(origin)?.websocketUrl ?? '',
      token: token('direct'),
    });
    try {
      const room = `bench-proxy-${Date.now()}`;
      await direct.join(room);
      await proxied.join(room);
      const roundTrip = async (client: ChatClient, text: string) => {
        const started = performance.now();
        const echoed = client.waitFor(
          (f): f is FrameOf<'message'> => f.type === 'message' && f.message.text === text,
          10_000,
        );
        await client.send(room, text);
        await echoed;
        return performance.now() - started;
      };
      for (let i = 0; i < 20; i++) {
        await roundTrip(direct, `warm-d-${i}`);
        await roundTrip(proxied, `warm-p-${i}`);
      }
      const viaDirect: number[] = [];
      const viaProxy: number[] = [];
      for (let i = 0; i < MESSAGES; i++) {
        viaDirect.push(await roundTrip(direct, `d-${i}`));
        viaProxy.push(await roundTrip(proxied, `p-${i}`));
      }
      const p50d = percentile(viaDirect, 50);
      const p50p = percentile(viaProxy, 50);
      row(
        `send -> own broadcast, direct to ${origin} (n=${MESSAGES})`,
        `p50 ${fmt(p50d)}, p99 ${fmt(percentile(viaDirect, 99))}`,
      );
      row(
        `send -> own broadcast, through the China proxy (n=${MESSAGES})`,
        `p50 ${fmt(p50p)}, p99 ${fmt(percentile(viaProxy, 99))}`,
      );
      row('  China proxy overhead, p50', fmt(p50p - p50d));
    } finally {
      await direct.close();
      await proxied.close();
    }
  } finally {
    r53.destroy();
    await sandbox.stop();
  }
}
