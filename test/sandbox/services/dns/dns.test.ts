// The sandbox's DNS server, queried over UDP and TCP as a stub resolver would (with the EDNS0 client
// subnet, or without it from 127.0.0.1), answering the hosted zone as Route 53's name servers do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DnsResponse, queryDns } from '../../../../cli/ops/chat/dns-query.js';
import { names } from '../../../../core/names.js';
import { defaultTopology } from '../../../../core/topology.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import { SANDBOX_DNS_TTL_SECONDS } from '../../../../sandbox/options.js';
import { startTestSandbox } from '../../support.js';
import { eventually } from '../support.js';

const INTERVAL_MS = 200;
const THRESHOLD = 2;
const FLIP_LIMIT_MS = INTERVAL_MS * THRESHOLD + 8000;

const topology = defaultTopology();
const chat = names.chatRecord(topology);
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox(
    { globalServices: true, healthCheckIntervalMs: INTERVAL_MS, failureThreshold: THRESHOLD },
    topology,
  );
});

afterAll(async () => {
  await sandbox?.stop();
});

const dns = () => {
  const found = sandbox.state.dns;
  if (!found) throw new Error('no dns in the sandbox state');
  return found;
};
const subnetOf = (key: string) => topology.regions.find((r) => r.key === key)?.probeSubnet ?? '';
const ask = (name: string, more: { type?: string; clientSubnet?: string; tcp?: boolean } = {}) =>
  queryDns({ server: { host: dns().host, port: dns().port }, name, ...more });
const addressOf = (response: DnsResponse) => response.answers.find((a) => a.type === 'A')?.data;

describe('dns', () => {
  it('dns: chat.<domain> answers each probe subnet with its own region, over UDP and TCP, with the record TTL', async () => {
    for (const region of topology.regions) {
      for (const tcp of [false, true]) {
        const response = await ask(chat, { clientSubnet: subnetOf(region.key), tcp });
        expect(response.rcode).toBe('NOERROR');
        expect(response.authoritative).toBe(true);
        expect(response.answers).toEqual([
          { name: chat, type: 'A', ttl: SANDBOX_DNS_TTL_SECONDS, data: dns().addresses[region.key] },
        ]);
        expect(response.scopePrefixLength).toBe(Number(subnetOf(region.key).split('/')[1]));
      }
    }
    // No client subnet: Route 53 places the resolver's own address (127.0.0.1 fits no probe subnet).
    const plain = await ask(chat);
    expect(Object.values(dns().addresses)).toContain(addressOf(plain));
  });

  it('dns: regional names, NXDOMAIN and NODATA with the SOA, and REFUSED outside the zone', async () => {
    const seoul = await ask(names.regionalDomain(topology, 'seoul'));
    expect(addressOf(seoul)).toBe(dns().addresses.seoul);
    const health = await ask(names.regionalHealthDomain(topology, 'tokyo'));
    expect(addressOf(health)).toBe(dns().addresses.tokyo);

    const missing = await ask(`nowhere.${chat}`);
    expect(missing.rcode).toBe('NXDOMAIN');
    expect(missing.answers).toEqual([]);
    expect(missing.authorities.map((a) => a.type)).toEqual(['SOA']);

    const noData = await ask(chat, { type: 'AAAA' });
    expect(noData.rcode).toBe('NOERROR');
    expect(noData.answers).toEqual([]);
    expect(noData.authorities.map((a) => a.type)).toEqual(['SOA']);
    // An empty non-terminal (a name with records only below it) is NODATA too, not NXDOMAIN.
    const apex = await ask(topology.hostedZone.name, { type: 'A' });
    expect(apex.rcode).toBe('NOERROR');

    const outside = await ask('example.org');
    expect(outside.rcode).toBe('REFUSED');
  });

  it('dns: gateway-down moves tokyo’s subnet to another healthy region within the health-check floor, and heal brings it back', async () => {
    const tokyo = dns().addresses.tokyo;
    expect(addressOf(await ask(chat, { clientSubnet: subnetOf('tokyo') }))).toBe(tokyo);
    sandbox.faults.inject('tokyo', 'gateway-down');
    try {
      await eventually(async () => {
        const moved = addressOf(await ask(chat, { clientSubnet: subnetOf('tokyo') }));
        return moved !== tokyo && Object.values(dns().addresses).includes(String(moved));
      }, FLIP_LIMIT_MS);
    } finally {
      sandbox.faults.heal('tokyo');
    }
    await eventually(
      async () => addressOf(await ask(chat, { clientSubnet: subnetOf('tokyo') })) === tokyo,
      FLIP_LIMIT_MS,
    );
  });
});
