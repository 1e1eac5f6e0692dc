/**
 * One run of the surge controller for one region: read the stored state and the lanes' utilization, decide
 * (runtime/surge/controller.ts), and write the level when it changes. The reads and writes are passed in, so
 * the Lambda (DynamoDB and CloudWatch) and the sandbox (DynamoDB and its own counters) run the same step.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { getLoadLevelRecord, type LoadLevelRecord } from '../store/load-level.js';
import { type ControllerPolicy, type Decision, decide, type Utilization } from './controller.js';
import { levelState, writeAutoLevel } from './state.js';

/** Where the controller's state lives: the load-level item of the region (DynamoDB on both targets). */
export interface LevelStore {
  read(): Promise<LoadLevelRecord>;
  /** Writes an auto level change; false when the item changed meanwhile (the operator won the race). */
  write(decision: Decision, expected: LoadLevelRecord, now: number): Promise<boolean>;
}

export interface ControllerIO {
  readonly store: LevelStore;
  /** The lanes over the last window, ending at `now`. */
  readUtilization(now: number): Promise<Utilization>;
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
}

export function dynamoLevelStore(client: DynamoDBClient, table: string, region: string): LevelStore {
  return {
    read: () => getLoadLevelRecord(client, table, region),
    write: (decision, expected, now) => writeAutoLevel(client, table, region, decision, expected, now),
  };
}

export async function runController(region: string, io: ControllerIO): Promise<ControllerRun> {
  const now = (io.now ?? Date.now)();
  const [record, utilization] = await Promise.all([io.store.read(), io.readUtilization(now)]);
  const decision = decide(levelState(record), utilization, { now, policy: io.policy });
  if (decision.action === 'hold') return { region, decision, written: false };
  const written = await io.store.write(decision, record, now);
  return {
    region,
    decision,
    written,
    ...(written ? {} : { skipped: 'the level was changed meanwhile (by the operator or another run)' }),
  };
}
