/**
 * The surge controller's writes to the load-level item (CONFIG / LOAD#<region>, runtime/store/load-level.ts):
 * the auto settings the operator turns on and off, and the controller's own level changes. Both are
 * conditional UpdateItems on the region's own replica, so an operator's level set at the same moment as a
 * controller run is never overwritten by the controller (the condition fails and the run is skipped).
 */
import { type DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { LoadLevel } from '../../core/protocol.js';
import { type LoadLevelRecord, loadLevelKey, parseLoadLevelItem } from '../store/load-level.js';
import type { Decision, LevelState } from './controller.js';

/** The controller's view of a stored record. A level nobody ever set is auto's (level 0). */
export function levelState(record: LoadLevelRecord): LevelState {
  return {
    level: record.level,
    setBy: record.setBy ?? 'auto',
    changedAt: record.updatedAt,
    auto: record.auto,
  };
}

/**
 * `chatctl traffic auto on|off`. Turning auto on also releases an operator's level (auto decides from the
 * next run on); turning it off leaves the level where it is. `maxLevel` is kept when not given.
 */
export async function setAutoSettings(
  client: DynamoDBClient,
  table: string,
  region: string,
  settings: { enabled: boolean; maxLevel?: LoadLevel; now?: number },
): Promise<LoadLevelRecord> {
  const sets = ['autoEnabled = :enabled', 'autoChangedAt = :now'];
  const values: Record<string, { BOOL: boolean } | { N: string } | { S: string }> = {
    ':enabled': { BOOL: settings.enabled },
    ':now': { N: String(settings.now ?? Date.now()) },
  };
  if (settings.maxLevel !== undefined) {
    sets.push('maxLevel = :max');
    values[':max'] = { N: String(settings.maxLevel) };
  }
  if (settings.enabled) {
    sets.push('setBy = :auto');
    values[':auto'] = { S: 'auto' };
  }
  const { Attributes } = await client.send(
    new UpdateItemCommand({
      TableName: table,
      Key: loadLevelKey(region),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    }),
  );
  return parseLoadLevelItem(region, Attributes);
}

/**
 * Writes a controller decision that changes the level. Only when auto is still on, the level is still auto's
 * and nobody changed it since `expected` was read; otherwise returns false and writes nothing.
 */
export async function writeAutoLevel(
  client: DynamoDBClient,
  table: string,
  region: string,
  decision: Decision,
  expected: LoadLevelRecord,
  now: number,
): Promise<boolean> {
  const unchanged =
    expected.updatedAt === null ? 'attribute_not_exists(updatedAt)' : 'updatedAt = :expectedAt';
  try {
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: loadLevelKey(region),
        UpdateExpression:
          'SET #level = :level, updatedAt = :now, setBy = :auto, reason = :reason, figures = :figures',
        ConditionExpression: `autoEnabled = :true AND (attribute_not_exists(setBy) OR setBy = :auto) AND ${unchanged}`,
        ExpressionAttributeNames: { '#level': 'level' },
        ExpressionAttributeValues: {
          ':level': { N: String(decision.level) },
          ':now': { N: String(now) },
          ':auto': { S: 'auto' },
          ':true': { BOOL: true },
          ':reason': { S: `auto: ${decision.reason}` },
          ':figures': { S: JSON.stringify(decision.figures) },
          ...(expected.updatedAt === null ? {} : { ':expectedAt': { N: String(expected.updatedAt) } }),
        },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
