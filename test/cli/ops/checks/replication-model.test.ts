import { describe, expect, it } from 'vitest';
import { crossCheckReplicas } from '../../../../cli/ops/checks/replication.js';
import {
  blameRegions,
  comparePartitions,
  itemHash,
  type LagSample,
  lagMatrix,
} from '../../../../cli/ops/checks/replication-model.js';

const regions = ['seoul', 'tokyo', 'na'];

function samples(lag: (from: string, to: string) => number | undefined, n = 3): LagSample[] {
  const out: LagSample[] = [];
  for (let i = 0; i < n; i++)
    for (const from of regions)
      for (const to of regions) if (from !== to) out.push({ from, to, lagMs: lag(from, to) });
  return out;
}

describe('replication model', () => {
  it('lagMatrix: p50 and max per pair; above the threshold warns; a timeout fails', () => {
    const pairs = lagMatrix(
      regions,
      samples((from, to) =>
        from === 'na' && to === 'seoul' ? 3000 : from === 'seoul' && to === 'tokyo' ? undefined : 40,
      ),
      2000,
      5000,
    );
    expect(pairs).toHaveLength(6);
    const get = (from: string, to: string) => pairs.find((p) => p.from === from && p.to === to)!;
    expect(get('tokyo', 'na')).toMatchObject({ status: 'ok', p50Ms: 40, maxMs: 40, seen: 3, timeouts: 0 });
    expect(get('na', 'seoul')).toMatchObject({ status: 'warn', maxMs: 3000 });
    expect(get('seoul', 'tokyo')).toMatchObject({ status: 'fail', seen: 0, timeouts: 3 });
    expect(get('seoul', 'tokyo').detail).toContain('paused or broken');
  });

  it('blameRegions: a region whose every pair fails is blamed alone', () => {
    const paused = lagMatrix(
      regions,
      samples((from, to) => (from === 'seoul' || to === 'seoul' ? undefined : 30)),
      2000,
      5000,
    );
    expect([...blameRegions(regions, paused)]).toEqual(['seoul']);
    const healthy = lagMatrix(
      regions,
      samples(() => 30),
      2000,
      5000,
    );
    expect(blameRegions(regions, healthy).size).toBe(0);
    const onePair = lagMatrix(
      regions,
      samples((from, to) => (from === 'tokyo' && to === 'na' ? undefined : 30)),
      2000,
      5000,
    );
    expect([...blameRegions(regions, onePair)].sort()).toEqual(['na', 'tokyo']);
  });

  it('itemHash: ignores attribute order and set order, sees any value change', () => {
    const a = { pk: { S: 'ROOM#r' }, sk: { S: 'MSG#1' }, tags: { SS: ['b', 'a'] }, n: { N: '1' } };
    const b = { n: { N: '1' }, tags: { SS: ['a', 'b'] }, sk: { S: 'MSG#1' }, pk: { S: 'ROOM#r' } };
    expect(itemHash(a)).toBe(itemHash(b));
    expect(itemHash(a)).not.toBe(itemHash({ ...a, n: { N: '2' } }));
    expect(itemHash(a)).toBe(itemHash({ ...a, 'aws:rep:updatetime': { N: '5' } }));
  });

  it('comparePartitions: counts, hashes, and the keys missing or different per replica', () => {
    const same = new Map([
      ['MSG#1', 'h1'],
      ['MSG#2', 'h2'],
    ]);
    const consistent = comparePartitions([
      { region: 'seoul', items: same },
      { region: 'tokyo', items: new Map(same) },
    ]);
    expect(consistent.differing).toEqual([]);
    expect(consistent.summaries[0].hash).toBe(consistent.summaries[1].hash);
    expect(consistent.summaries[0].count).toBe(2);

    const diverged = comparePartitions([
      { region: 'seoul', items: same },
      {
        region: 'tokyo',
        items: new Map([
          ['MSG#1', 'h1'],
          ['MSG#2', 'other'],
        ]),
      },
      { region: 'na', items: new Map([['MSG#2', 'h2']]) },
      { region: 'eu', error: 'timed out' },
    ]);
    expect(diverged.differing).toEqual([
      { sk: 'MSG#1', missingIn: ['na'], differsIn: [] },
      { sk: 'MSG#2', missingIn: [], differsIn: ['tokyo'] },
    ]);
    expect(diverged.summaries[3]).toEqual({ region: 'eu', error: 'timed out' });
    expect(diverged.summaries[0].hash).not.toBe(diverged.summaries[1].hash);
  });
});

describe('replica cross-check', () => {
  const view = (
    key: string,
    awsRegion: string,
    replicas: string[],
    statuses: Record<string, string> = {},
  ) => ({
    key,
    awsRegion,
    check: {
      name: 'replica' as const,
      status: 'ok' as const,
      detail: 'ACTIVE',
      data: {
        tableStatus: 'ACTIVE',
        replicaStatus: 'ACTIVE',
        replicas,
        statuses: { ...Object.fromEntries(replicas.map((r) => [r, 'ACTIVE'])), ...statuses },
      },
    },
  });

  it('crossCheckReplicas: a region the others do not list as a replica fails; own-region lists are fine', () => {
    // As on AWS: each region lists only the other replicas.
    const healthy = crossCheckReplicas([
      view('seoul', 'ap-northeast-2', ['ap-northeast-1', 'us-west-2']),
      view('tokyo', 'ap-northeast-1', ['ap-northeast-2', 'us-west-2']),
      view('na', 'us-west-2', ['ap-northeast-2', 'ap-northeast-1']),
    ]);
    expect(healthy.map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
    const missing = crossCheckReplicas([
      view('seoul', 'ap-northeast-2', ['ap-northeast-1']),
      view('tokyo', 'ap-northeast-1', ['ap-northeast-2'], {}),
      view('na', 'us-west-2', ['ap-northeast-2', 'ap-northeast-1']),
    ]);
    expect(missing.map((c) => c.status)).toEqual(['ok', 'ok', 'fail']);
    expect(missing[2].detail).toBe("not a replica in seoul's view; not a replica in tokyo's view");
    expect(missing[2].action).toContain('chatctl deploy');
    const creating = crossCheckReplicas([
      view('seoul', 'ap-northeast-2', ['ap-northeast-1'], { 'ap-northeast-1': 'CREATING' }),
      view('tokyo', 'ap-northeast-1', ['ap-northeast-2']),
    ]);
    expect(creating[1]).toMatchObject({ status: 'fail', detail: "CREATING in seoul's view" });
  });
});
