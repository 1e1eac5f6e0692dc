/**
 * One run of the surge controller for one region: read the stored state and the lanes' utilization, decide
 * (runtime/surge/controller.ts), and write the level when it changes. It also measures the replication lag
 * into the region and stores it beside the level when it moved (the joined frame reports it; clients wait
 * that long for a gap). The reads and writes are passed in, so the Lambda (DynamoDB and CloudWatch) and the
 * sandbox (DynamoDB, its own counters and its replicator) run the same step.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { getLoadLevelRecord, type LoadLevelRecord, setReplicationLag } from '../store/load-level.js';
import { type ControllerPolicy, type Decision, decide, type Utilization } from './controller.js';
import { levelState, writeAutoLevel } from './state.js';

/** Where the controller's state lives: the load-level item of the region (DynamoDB on both targets). */
export interface LevelStore {
  read(): Promise<LoadLevelRecord>;
  /** Writes an auto level change; false when the item changed meanwhile (the operator won the race). */
  write(decision: Decision, expected: LoadLevelRecord, now: number): Promise<boolean>;
  /** Stores the measured replication lag into the region (its own attributes of the item). */
  writeLag?(lagMs: number, now: number): Promise<void>;
}

export interface ControllerIO {
  readonly store: LevelStore;
  /** The lanes over the last window, ending at `now`. */
  readUtilization(now: number): Promise<Utilization>;
  /** The replication lag into the region now (ms); undefined when it could not be measured. */
  readReplicationLag?(now: number): Promise<number | undefined>;
  readonly now?: () => number;
  readonly policy?: ControllerPolicy;
}

export interface ControllerRun {
  readonly region: string;
  readonly decision: Decision;
  /** True when a changed level was written. */
  readonly written: boolean;
  /** Why a change was not written (the stored item moved under the run). */
  readonly skipped?: string;
  /** The replication lag measured into the region, ms (undefined when not measured). */
  readonly replicationLagMs?: number;
}

/** An unchanged lag is written again this often, so a stored one stays fresh (REPLICATION_LAG_FRESH_MS). */
export const LAG_REFRESH_MS = 5 * 60_000;

/**
 * Whether a measured lag is worth a write: none stored, the stored one is due for its refresh, or it moved by
 * at least 250 ms and a fifth (small moves are noise: a write every run would replicate every run).
 */
export function lagWorthStoring(
  stored: LoadLevelRecord['replicationLag'],
  measuredMs: number,
  now: number,
): boolean {
  if (!stored || now - stored.at >= LAG_REFRESH_MS) return true;
  return Math.abs(measuredMs - stored.ms) >= Math.max(250, stored.ms / 5);
}

export function dynamoLevelStore(client: DynamoDBClient, table: string, region: string): LevelStore {
  return {
    read: () => getLoadLevelRecord(client, table, region),
    write: (decision, expected, now) => writeAutoLevel(client, table, region, decision, expected, now),
    writeLag: (lagMs, now) => setReplicationLag(client, table, region, lagMs, now),
  };
}

export async function runController(region: string, io: ControllerIO): Promise<ControllerRun> {
  const now = (io.now ?? Date.now)();
  const [record, utilization, replicationLagMs] = await Promise.all([
    io.store.read(),
    io.readUtilization(now),
    io.readReplicationLag ? io.readReplicationLag(now) : Promise.resolve(undefined),
  ]);
  if (replicationLagMs !== undefined && lagWorthStoring(record.replicationLag, replicationLagMs, now)) {
    await io.store.writeLag?.(replicationLagMs, now);
  }
  const lag = replicationLagMs === undefined ? {} : { replicationLagMs };
  const decision = decide(levelState(record), utilization, { now, policy: io.policy });
  if (decision.action === 'hold') return { region, decision, written: false, ...lag };
  const written = await io.store.write(decision, record, now);
  return {
    region,
    decision,
    written,
    ...(written ? {} : { skipped: 'the level was changed meanwhile (by the operator or another run)' }),
    ...lag,
  };
}
