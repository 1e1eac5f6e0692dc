// The controller's run against DynamoDB Local: the stored state (who set the level, why, auto settings) and
// the conditional writes that let the operator win a race with the controller.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  getLoadLevelRecord,
  getLoadReading,
  REPLICATION_LAG_FRESH_MS,
  setLoadLevel,
} from '../../../runtime/store/load-level.js';
import type { LaneReading, Utilization } from '../../../runtime/surge/controller.js';
import { dynamoLevelStore, LAG_REFRESH_MS, runController } from '../../../runtime/surge/run.js';
import { setAutoSettings, writeAutoLevel } from '../../../runtime/surge/state.js';
import { dynamoClient, freshTable } from '../support.js';

const { client } = dynamoClient();
let table: string;
const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

beforeAll(async () => {
  table = await freshTable(client, 'surge');
});

/** A reading with `send` at `share` of a 200 lane. */
const sendAt =
  (share: number, extra: Partial<LaneReading> = {}) =>
  async (now: number): Promise<Utilization> => ({
    at: now,
    lanes: [
      {
        route: 'send',
        concurrency: 200 * share,
        reserved: 200,
        throttles: 0,
        invocations: 500,
        errors: 0,
        ...extra,
      },
    ],
  });

describe('surge controller run (DynamoDB Local)', () => {
  it('run: with auto never turned on, a surge changes nothing', async () => {
    const region = 'r-off';
    const store = dynamoLevelStore(client, table, region);
    const run = await runController(region, { store, readUtilization: sendAt(1), now: () => T0 });
    expect(run).toMatchObject({ written: false, decision: { action: 'hold', wanted: 3 } });
    expect(await getLoadLevelRecord(client, table, region)).toMatchObject({
      level: 0,
      setBy: null,
      auto: { enabled: false, maxLevel: 3 },
    });
  });

  it('run: auto on raises, stores who set it and the figures, and lowers after the cool-down', async () => {
    const region = 'r-auto';
    const store = dynamoLevelStore(client, table, region);
    await setAutoSettings(client, table, region, { enabled: true, maxLevel: 2, now: T0 });

    const raised = await runController(region, { store, readUtilization: sendAt(0.9), now: () => T0 });
    expect(raised).toMatchObject({ written: true, decision: { action: 'raise', level: 2, wanted: 3 } });
    const stored = await getLoadLevelRecord(client, table, region);
    expect(stored).toMatchObject({
      level: 2,
      setBy: 'auto',
      updatedAt: T0,
      auto: { enabled: true, maxLevel: 2 },
    });
    expect(stored.reason).toMatch(/^auto: send at 90% of its lane.*capped at the operator's maximum 2/);
    expect(stored.figures).toMatchObject({ pressure: 0.9, hottest: 'send', lanes: { send: 0.9 } });

    const early = await runController(region, {
      store,
      readUtilization: sendAt(0.05),
      now: () => T0 + MINUTE,
    });
    expect(early).toMatchObject({ written: false, decision: { action: 'hold', level: 2 } });
    const later = await runController(region, {
      store,
      readUtilization: sendAt(0.05),
      now: () => T0 + 6 * MINUTE,
    });
    expect(later).toMatchObject({ written: true, decision: { action: 'lower', level: 1 } });
    expect(await getLoadLevelRecord(client, table, region)).toMatchObject({ level: 1, setBy: 'auto' });
  });

  it("run: the operator's level holds against a surge until auto is turned on again, which releases it", async () => {
    const region = 'r-operator';
    const store = dynamoLevelStore(client, table, region);
    await setAutoSettings(client, table, region, { enabled: true, now: T0 });
    await setLoadLevel(client, table, region, 1, { reason: 'match final', now: T0 });

    const held = await runController(region, { store, readUtilization: sendAt(1), now: () => T0 + MINUTE });
    expect(held).toMatchObject({ written: false, decision: { action: 'hold', level: 1 } });
    expect(await getLoadLevelRecord(client, table, region)).toMatchObject({
      level: 1,
      setBy: 'operator',
      reason: 'match final',
    });

    const released = await setAutoSettings(client, table, region, { enabled: true, now: T0 + 2 * MINUTE });
    expect(released).toMatchObject({ level: 1, setBy: 'auto', auto: { enabled: true, maxLevel: 3 } });
    const run = await runController(region, {
      store,
      readUtilization: sendAt(1),
      now: () => T0 + 3 * MINUTE,
    });
    expect(run).toMatchObject({ written: true, decision: { action: 'raise', level: 3 } });
  });

  it('run: an operator change between the read and the write wins; the controller writes nothing', async () => {
    const region = 'r-race';
    await setAutoSettings(client, table, region, { enabled: true, now: T0 });
    const store = dynamoLevelStore(client, table, region);
    const racing = {
      read: store.read,
      async write(...args: Parameters<typeof store.write>) {
        // The operator acts after the controller read the state and before it writes.
        await setLoadLevel(client, table, region, 0, { reason: 'leave it', now: T0 + 1 });
        return store.write(...args);
      },
    };
    const run = await runController(region, { store: racing, readUtilization: sendAt(1), now: () => T0 + 2 });
    expect(run).toMatchObject({ written: false, decision: { action: 'raise', level: 3 } });
    expect(run.skipped).toMatch(/changed meanwhile/);
    expect(await getLoadLevelRecord(client, table, region)).toMatchObject({ level: 0, setBy: 'operator' });
  });

  it('writeAutoLevel: refuses when auto was turned off after the read', async () => {
    const region = 'r-turned-off';
    await setAutoSettings(client, table, region, { enabled: true, now: T0 });
    const store = dynamoLevelStore(client, table, region);
    const record = await store.read();
    await setAutoSettings(client, table, region, { enabled: false, now: T0 + 1 });
    const run = await runController(region, {
      store: { read: async () => record, write: store.write },
      readUtilization: sendAt(1),
      now: () => T0 + 2,
    });
    expect(run.written).toBe(false);
    const decision = run.decision;
    expect(await writeAutoLevel(client, table, region, decision, record, T0 + 3)).toBe(false);
    expect(await getLoadLevelRecord(client, table, region)).toMatchObject({
      level: 0,
      auto: { enabled: false },
    });
  });

  it('run: stores the replication lag it measures beside the level (a small move writes nothing; a large one, or the refresh, does); the level and who set it are untouched; a reading reports the lag only while fresh', async () => {
    const region = 'r-lag';
    const store = dynamoLevelStore(client, table, region);
    await setLoadLevel(client, table, region, 1, { reason: 'operator', now: T0 });
    const writes: number[] = [];
    const counted = {
      ...store,
      writeLag: (ms: number, now: number) => {
        writes.push(ms);
        return store.writeLag!(ms, now);
      },
    };
    const at = async (now: number, lagMs: number | undefined) =>
      runController(region, {
        store: counted,
        readUtilization: sendAt(0),
        readReplicationLag: async () => lagMs,
        now: () => now,
      });
    expect(await at(T0 + 1, 900)).toMatchObject({ replicationLagMs: 900, written: false });
    await at(T0 + 2, 1000); // moved by less than 250 ms: not worth a write
    await at(T0 + 3, undefined); // not measured: the stored one stays
    await at(T0 + 4, 12_000);
    await at(T0 + 4 + LAG_REFRESH_MS, 12_100); // unchanged, but due for its refresh
    expect(writes).toEqual([900, 12_000, 12_100]);
    expect(await getLoadLevelRecord(client, table, region)).toMatchObject({
      level: 1,
      setBy: 'operator',
      reason: 'operator',
      replicationLag: { ms: 12_100, at: T0 + 4 + LAG_REFRESH_MS },
    });
    const refreshed = T0 + 4 + LAG_REFRESH_MS;
    expect(await getLoadReading(client, table, region, refreshed + 1000)).toEqual({
      level: 1,
      replicationLagMs: 12_100,
    });
    expect(await getLoadReading(client, table, region, refreshed + REPLICATION_LAG_FRESH_MS + 1)).toEqual({
      level: 1,
    });
  });
});
