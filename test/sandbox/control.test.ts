// The control API's input checks: a bad body, posted with the sandbox's secret, gets a 400 whose sentence
// names the field, and the sandbox is as it was (its regions, its faults).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultTopology } from '../../core/topology.js';
import { CONTROL_SECRET_HEADER } from '../../sandbox/access.js';
import { CONTROL_PREFIX, type ErrorReply } from '../../sandbox/control-api.js';
import type { Sandbox } from '../../sandbox/index.js';
import { startTestSandbox } from './support.js';

let sandbox: Sandbox;

beforeAll(async () => {
  const topology = defaultTopology();
  topology.regions = topology.regions.slice(0, 2);
  topology.china.enabled = false;
  sandbox = await startTestSandbox({}, topology);
});

afterAll(async () => {
  await sandbox?.stop();
});

async function call(
  method: string,
  path: string,
  body: unknown,
): Promise<{ status: number; reply: ErrorReply }> {
  const response = await fetch(`${sandbox.edge}${CONTROL_PREFIX}${path}`, {
    method,
    headers: { [CONTROL_SECRET_HEADER]: sandbox.controlSecret, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, reply: (await response.json()) as ErrorReply };
}

const unchanged = () => ({
  regions: Object.keys(sandbox.state.regions),
  topologyRegions: sandbox.topology.regions.map((r) => r.key),
  faults: sandbox.faults.list(),
});

describe('control API input', () => {
  it.each([
    ['POST', '/regions', {}, /^POST \/regions: spec is missing$/],
    ['POST', '/regions', { spec: 'sydney' }, /^POST \/regions: spec is wrong: /],
    [
      'POST',
      '/regions',
      { spec: { key: 'sydney', awsRegion: 'mars-1', probeSubnet: '1.120.0.0/24' } },
      /^POST \/regions: spec\.awsRegion is wrong: not an AWS commercial region code/,
    ],
    [
      'POST',
      '/regions',
      { spec: { key: 'Sydney!', awsRegion: 'ap-southeast-2', probeSubnet: '1.120.0.0/24' } },
      /^POST \/regions: spec\.key is wrong: a region key is 2-12 characters/,
    ],
    [
      'POST',
      '/regions',
      { spec: { key: 'sydney', awsRegion: 'ap-southeast-2', probeSubnet: 'nowhere' } },
      /^POST \/regions: spec\.probeSubnet is wrong: a client subnet in CIDR form/,
    ],
    [
      'POST',
      '/regions',
      { spec: { key: 'sydney', awsRegion: 'ap-southeast-2', probeSubnet: '1.120.0.0/24', extra: 1 } },
      /^POST \/regions: spec is wrong: .*extra/,
    ],
    ['POST', '/faults', { fault: 'throttle' }, /^POST \/faults: region is missing$/],
    [
      'POST',
      '/faults',
      { region: 'seoul', fault: 42 },
      /^POST \/faults: fault is wrong: fault must be a string$/,
    ],
    [
      'POST',
      '/faults',
      { region: 'seoul', fault: '' },
      /^POST \/faults: fault is wrong: fault must not be empty$/,
    ],
    ['POST', '/faults', { region: 'seoul', fault: 'gateway_down' }, /^unknown fault "gateway_down"$/],
    ['POST', '/faults', { region: 'seoul', fault: 'latency=soon' }, /^latency "soon" is not a duration$/],
    ['POST', '/faults', [1, 2], /^POST \/faults: the body is wrong: /],
    ['POST', '/heal', { region: ['seoul'] }, /^POST \/heal: region is wrong: region must be a string$/],
    ['POST', '/console/token', { userId: 7 }, /^POST \/console\/token: userId is wrong: /],
    ['POST', '/console/drills', 'true', /^POST \/console\/drills: the body is wrong: /],
  ])(
    'control API: %s %s %j is refused with a 400 naming what is wrong, and changes nothing',
    async (method, path, body, message) => {
      const before = unchanged();
      const { status, reply } = await call(method, path, body);
      expect(status).toBe(400);
      expect(reply.error).toMatch(message);
      expect(unchanged()).toEqual(before);
    },
  );

  it('control API: a good body still acts (the checks refuse only what is wrong)', async () => {
    const { status } = await call('POST', '/faults', { region: 'seoul', fault: 'throttle' });
    expect(status).toBe(200);
    expect(sandbox.faults.list().map((f) => f.spec)).toEqual(['throttle']);
    const healed = await call('POST', '/heal', { region: 'seoul', fault: null });
    expect(healed.status).toBe(200);
    expect(sandbox.faults.list()).toEqual([]);
  });
});
