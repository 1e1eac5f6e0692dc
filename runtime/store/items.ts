/** The attribute-value helpers every store module shares, and the reading of items that may be malformed. */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ATTR, keys, prefixRange } from '../../core/datamodel.js';

export type Item = Record<string, AttributeValue>;

export const S = (value: string): AttributeValue => ({ S: value });
export const N = (value: number): AttributeValue => ({ N: String(value) });
export const key = (pk: string, sk: string) => ({ [ATTR.pk]: S(pk), [ATTR.sk]: S(sk) });

/** What every store module is built over. */
export interface StoreContext {
  readonly db: DynamoDBClient;
  readonly table: string;
  readonly now: () => number;
  /**
   * The region key this store writes in: stamped as `region` on the items that become chat events
   * (reactions, notices, members; messages and presence carry their own), so a region's event feed can
   * tell its own writes from replicated copies (core/events.ts, eventFilterPatterns).
   */
  readonly region?: string;
}

/** The `region` attribute of an item written by this store, when it knows its region. */
export const regionAttr = (ctx: StoreContext): Item => (ctx.region ? { region: S(ctx.region) } : {});

/** Query parameters for the items of one room whose sort key starts with `prefix` (see prefixRange). */
export function roomItems(roomId: string, prefix: string) {
  const range = prefixRange(prefix);
  return {
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
    ExpressionAttributeNames: { '#pk': ATTR.pk, '#sk': ATTR.sk },
    ExpressionAttributeValues: { ':pk': S(keys.roomPk(roomId)), ':lo': S(range.lo), ':hi': S(range.hi) },
  };
}

/** Thrown by the readers below for an item the runtime cannot read; callers skip it and log. */
export class UnreadableItem extends Error {
  override name = 'UnreadableItem';
}

export function str(item: Item, name: string): string {
  const value = item[name]?.S;
  if (typeof value !== 'string') throw new UnreadableItem(`attribute ${name} is missing or not a string`);
  return value;
}

export function num(item: Item, name: string): number {
  const value = Number(item[name]?.N);
  if (!Number.isFinite(value)) throw new UnreadableItem(`attribute ${name} is missing or not a number`);
  return value;
}

export const optStr = (item: Item, name: string): string | undefined => item[name]?.S;

/** Reads an item with `read`; an unreadable one is logged (with its key) and gives undefined. */
export function readOrSkip<T>(item: Item, read: (item: Item) => T): T | undefined {
  try {
    return read(item);
  } catch (error) {
    if (!(error instanceof UnreadableItem)) throw error;
    console.warn(
      `skipping unreadable item ${item[ATTR.pk]?.S ?? '?'} / ${item[ATTR.sk]?.S ?? '?'}: ${error.message}`,
    );
    return undefined;
  }
}
