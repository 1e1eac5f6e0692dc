import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addRegion } from '../../cli/ops/regions.js';
import { UserError } from '../../core/errors.js';
import {
  defaultTopology,
  loadTopology,
  parseTopology,
  saveTopology,
  serializeTopology,
  type Topology,
  updateTopology,
} from '../../core/topology.js';

async function tempFile(content?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chatctl-topology-'));
  const path = join(dir, 'chatctl.json');
  if (content !== undefined) await writeFile(path, content);
  return path;
}

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected a UserError');
}

describe('core/topology', () => {
  it('topology: the defaults round-trip through the file unchanged', async () => {
    const path = await tempFile();
    const defaults = defaultTopology();
    await saveTopology(path, defaults);
    expect(await loadTopology(path)).toEqual(defaults);
    expect(defaults.regions.map((r) => [r.key, r.awsRegion])).toEqual([
      ['seoul', 'ap-northeast-2'],
      ['tokyo', 'ap-northeast-1'],
      ['na', 'us-west-2'],
    ]);
    // No pinned China origin: the proxy's origin is chat.<domain>, which follows latency DNS.
    expect(defaults.china).toEqual({ enabled: true });
  });

  const invalid: [string, (t: Topology) => void, RegExp][] = [
    ['app', (t) => (t.app = 'Chat App'), /app: lowercase/],
    ['target', (t) => ((t as { target: string }).target = 'gcp'), /target: .*sandbox.*aws/],
    ['account', (t) => (t.account = '123'), /account: a 12-digit/],
    ['domain', (t) => (t.domain = 'not a domain'), /domain: a DNS name/],
    ['hostedZone.id', (t) => (t.hostedZone.id = 'zone'), /hostedZone\.id: a Route 53 hosted zone id/],
    ['homeRegion', (t) => (t.homeRegion = 'paris'), /homeRegion: one of the region keys: seoul, tokyo, na/],
    ['regions[1].key', (t) => (t.regions[1].key = 'Tokyo!'), /regions\[1\]\.key: a region key is 2-12/],
    [
      'regions[2].awsRegion',
      (t) => (t.regions[2].awsRegion = 'us-moon-1'),
      /regions\[2\]\.awsRegion: not an AWS commercial region code/,
    ],
    [
      'regions[0].probeSubnet',
      (t) => (t.regions[0].probeSubnet = '300.1.1.1/24'),
      /regions\[0\]\.probeSubnet: a client subnet in CIDR/,
    ],
    ['duplicate key', (t) => (t.regions[2].key = 'seoul'), /regions\[2\]\.key: duplicate region key "seoul"/],
    [
      'reserved key',
      (t) => (t.regions[2].key = 'global'),
      /regions\[2\]\.key: "global" is reserved \(chatctl china origin global/,
    ],
    [
      'duplicate awsRegion',
      (t) => (t.regions[2].awsRegion = 'ap-northeast-1'),
      /regions\[2\]\.awsRegion: AWS region ap-northeast-1 is already used/,
    ],
    [
      'china.originRegion',
      (t) => (t.china.originRegion = 'beijing'),
      /china\.originRegion: one of the region keys/,
    ],
    [
      'healthCheck.intervalSeconds',
      (t) => (t.healthCheck.intervalSeconds = 5 as 10),
      /healthCheck\.intervalSeconds: Route 53 allows 10 or 30/,
    ],
    [
      'healthCheck.failureThreshold',
      (t) => (t.healthCheck.failureThreshold = 11),
      /healthCheck\.failureThreshold/,
    ],
    [
      'minHealthyRegions',
      (t) => (t.minHealthyRegions = 4),
      /minHealthyRegions: at most the number of regions \(3\)/,
    ],
    [
      'auth.userPoolId',
      (t) => (t.auth = { mode: 'cognito', userPoolId: 'my-pool', userPoolClientId: 'abc' }),
      /auth\.userPoolId: a Cognito user pool id, <region>_<id>/,
    ],
    [
      'auth.replicaRegion (not a region key)',
      (t) => (t.auth = { mode: 'cognito', replicaRegion: 'osaka' }),
      /auth\.replicaRegion: one of the region keys/,
    ],
    [
      "auth.replicaRegion (the pool's own region)",
      (t) => (t.auth = { mode: 'cognito', replicaRegion: 'seoul' }),
      /auth\.replicaRegion: a region other than the pool's own \(ap-northeast-2\)/,
    ],
    [
      'auth.replicaRegion (dev mode)',
      (t) => (t.auth = { mode: 'dev', replicaRegion: 'tokyo' }),
      /auth\.replicaRegion: only for auth mode "cognito"/,
    ],
    ['lanes.send', (t) => (t.lanes = { send: 0 }), /lanes\.send: reserved concurrency is at least 1/],
    ['lanes.bogus', (t) => ((t.lanes as Record<string, number>).bogus = 5), /lanes/],
    ['unknown field', (t) => ((t as Record<string, unknown>).colour = 'blue'), /unknown field\(s\): colour/],
    ['missing field', (t) => delete (t as Partial<Topology>).regions, /regions: is required/],
  ];
  for (const [field, mutate, expected] of invalid) {
    it(`topology: an invalid ${field} yields an error that names it`, () => {
      const topology = defaultTopology();
      mutate(topology);
      const error = errorOf(() => parseTopology(topology, 'chatctl.json'));
      expect(error.message).toMatch(/^chatctl\.json is not a valid topology/);
      expect(error.message).toMatch(expected);
    });
  }

  it('topology: lanes above the default quota are taken (the deploy preflight checks the real quota)', () => {
    const topology = defaultTopology();
    topology.lanes = { send: 2000, relay: 400, join: 350 };
    expect(parseTopology(topology, 'chatctl.json').lanes).toEqual({ send: 2000, relay: 400, join: 350 });
  });

  it('topology: a corrupt JSON file gives a clear error and is left byte-for-byte unchanged', async () => {
    const corrupt = '{ "app": "chat", "regions": [ \n';
    const path = await tempFile(corrupt);
    await expect(loadTopology(path)).rejects.toThrow(/chatctl\.json is not valid JSON/);
    await expect(updateTopology(path, (t) => t)).rejects.toThrow(/not valid JSON/);
    expect(await readFile(path, 'utf8')).toBe(corrupt);
  });

  it('topology: a rejected change leaves the file as it was and no temp file behind', async () => {
    const path = await tempFile(serializeTopology(defaultTopology()));
    const before = await readFile(path, 'utf8');
    await expect(updateTopology(path, (t) => ({ ...t, homeRegion: 'nowhere' }))).rejects.toThrow(
      /homeRegion/,
    );
    expect(await readFile(path, 'utf8')).toBe(before);
    expect(await readdir(join(path, '..'))).toEqual(['chatctl.json']);
  });

  it('topology: a probe subnet two regions share (or overlap) is refused, naming both regions', async () => {
    const defaults = defaultTopology();
    const shared = {
      ...defaults,
      regions: [
        ...defaults.regions,
        { key: 'paris', awsRegion: 'eu-west-3', probeSubnet: '133.242.0.128/25' },
      ],
    };
    const error = errorOf(() => parseTopology(shared, 'chatctl.json'));
    expect(error.message).toMatch(/133\.242\.0\.128\/25 of "paris" overlaps 133\.242\.0\.0\/24 of "tokyo"/);
    const path = await tempFile(serializeTopology(defaults));
    const before = await readFile(path, 'utf8');
    const add = addRegion(path, { key: 'paris', awsRegion: 'eu-west-3', probeSubnet: '211.45.0.0/24' });
    await expect(add).rejects.toThrow(/211\.45\.0\.0\/24 of "paris" overlaps 211\.45\.0\.0\/24 of "seoul"/);
    await expect(add).rejects.toMatchObject({ exitCode: 2 });
    expect(await readFile(path, 'utf8')).toBe(before);
    // A subnet of its own is fine.
    await addRegion(path, { key: 'paris', awsRegion: 'eu-west-3', probeSubnet: '90.0.0.0/24' });
  });

  it('topology: a missing file is a user error unless the caller allows the defaults', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'chatctl-none-')), 'chatctl.json');
    await expect(loadTopology(path)).rejects.toThrow(/no topology at/);
    expect(await loadTopology(path, { allowMissing: true })).toEqual(defaultTopology());
  });

  it('topology: concurrent region adds lose no region and leave valid JSON', async () => {
    const path = await tempFile(serializeTopology(defaultTopology()));
    const additions = [
      ['sydney', 'ap-southeast-2'],
      ['frankfurt', 'eu-central-1'],
      ['ireland', 'eu-west-1'],
      ['virginia', 'us-east-1'],
      ['ohio', 'us-east-2'],
      ['mumbai', 'ap-south-1'],
    ];
    await Promise.all(additions.map(([key, awsRegion]) => addRegion(path, { key, awsRegion })));
    const result = await loadTopology(path);
    expect(result.regions.map((r) => r.key).sort()).toEqual(
      ['na', 'seoul', 'tokyo', ...additions.map(([k]) => k)].sort(),
    );
    expect(await readdir(join(path, '..'))).toEqual(['chatctl.json']);
  });
});
