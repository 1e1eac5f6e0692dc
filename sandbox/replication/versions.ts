/**
 * What replication keeps about each item: a version (observation time in ms, origin region) that decides
 * the last writer, and images compared by a canonical form (so an echo of a change replication applied is
 * recognised in the target's stream).
 */

/** DynamoDB JSON attribute values, as the wire carries them (B as base64 text). */
export type AttributeValue = Record<string, unknown>;

export interface StreamRecord {
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE';
  dynamodb?: {
    Keys?: Record<string, AttributeValue>;
    NewImage?: Record<string, AttributeValue>;
    SequenceNumber?: string;
  };
}

export interface Version {
  readonly ts: number;
  readonly origin: string;
}

export type Image = Record<string, AttributeValue>;

export interface Change {
  readonly key: string;
  readonly keys: Image;
  /** undefined for a delete */
  readonly image: Image | undefined;
  readonly version: Version;
  /** Written by a health checker or a canary (the replicator's isRoutine option): for the log's summary. */
  readonly routine?: boolean;
}

export interface Held {
  readonly version: Version;
  readonly image: Image | undefined;
  /** The image was dropped to bound memory (only the version is needed once the item is old). */
  readonly pruned?: boolean;
}

/** Images of items older than this are dropped from the side map; their versions stay. */
export const PRUNE_AFTER_MS = 5 * 60_000;

export interface Pending {
  readonly canon: string;
  readonly version: Version;
  readonly at: number;
}

export type ShardStart = 'TRIM_HORIZON' | 'LATEST';

/** Where a shard's reading stands, as a checkpoint saves it. */
export interface ShardPosition {
  readonly lastSequence?: string;
  /** Where the shard's reading began, for a shard nothing was read from yet. */
  readonly start: ShardStart;
}

export interface Shard {
  iterator?: string;
  lastSequence?: string;
  /** Where reading began (kept in the checkpoint for a shard nothing was read from yet). */
  readonly start: 'TRIM_HORIZON' | 'LATEST';
  closed: boolean;
}

export function compareVersions(a: Version, b: Version): number {
  if (a.ts !== b.ts) return a.ts - b.ts;
  return a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0;
}

/** JSON with object keys sorted (set members come sorted from DynamoDB), to compare images. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  return JSON.stringify(value);
}

/** canonical() of an item image, computed once per image object (a change's image goes to every region). */
const imageCanons = new WeakMap<Image, string>();
export function canonicalImage(image: Image | undefined): string {
  if (!image) return 'DELETE';
  let canon = imageCanons.get(image);
  if (canon === undefined) {
    canon = canonical(image);
    imageCanons.set(image, canon);
  }
  return canon;
}
