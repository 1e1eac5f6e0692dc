/**
 * Pure parts of the replication checks: the lag matrix and which region to blame for failing pairs,
 * canonical item hashing, and the comparison of a room's partition across replicas.
 */
import { createHash } from 'node:crypto';
import { percentile, round } from '../time.js';
import type { CheckStatus } from './verdict.js';

/** One canary observation: written in `from`, seen in `to` after `lagMs` (undefined: not seen in time). */
export interface LagSample {
  from: string;
  to: string;
  lagMs?: number;
}

export interface LagPair {
  from: string;
  to: string;
  /** Samples seen in time. */
  seen: number;
  /** Samples not seen within the timeout. */
  timeouts: number;
  p50Ms?: number;
  maxMs?: number;
  /** The lag the sandbox models for the pair (network lag plus the Global Tables pipeline); sandbox only. */
  modelMs?: number;
  status: CheckStatus;
  detail: string;
}

/** Groups samples by pair, in the order of `regions` (source, then destination). */
export function lagMatrix(
  regions: readonly string[],
  samples: readonly LagSample[],
  thresholdMs: number,
  timeoutMs: number,
  model?: Readonly<Record<string, number>>,
): LagPair[] {
  const pairs: LagPair[] = [];
  for (const from of regions) {
    for (const to of regions) {
      if (from === to) continue;
      const mine = samples.filter((s) => s.from === from && s.to === to);
      if (mine.length === 0) continue;
      const lags = mine.flatMap((s) => (s.lagMs === undefined ? [] : [s.lagMs]));
      const timeouts = mine.length - lags.length;
      const p50Ms = lags.length ? round(percentile(lags, 50)) : undefined;
      const maxMs = lags.length ? round(Math.max(...lags)) : undefined;
      let status: CheckStatus = 'ok';
      const modelMs = model?.[`${from}:${to}`];
      const modelled = modelMs === undefined ? '' : ` (the sandbox models ${modelMs} ms)`;
      let detail = `p50 ${p50Ms} ms, max ${maxMs} ms over ${lags.length}${modelled}`;
      if (timeouts > 0) {
        status = 'fail';
        detail =
          lags.length === 0
            ? `not replicated within ${timeoutMs} ms (paused or broken)`
            : `${timeouts}/${mine.length} not replicated within ${timeoutMs} ms; ${detail}`;
      } else if (maxMs !== undefined && maxMs > thresholdMs) {
        status = 'warn';
        detail = `above the ${thresholdMs} ms threshold: ${detail}`;
      }
      pairs.push({
        from,
        to,
        seen: lags.length,
        timeouts,
        p50Ms,
        maxMs,
        ...(modelMs === undefined ? {} : { modelMs }),
        status,
        detail,
      });
    }
  }
  return pairs;
}

/**
 * Which regions the failing pairs point at. A region every one of whose pairs fails (in and out) is the
 * cause (e.g. its replication is paused); a failing pair that such a region does not explain blames both ends.
 */
export function blameRegions(regions: readonly string[], pairs: readonly LagPair[]): Set<string> {
  const bad = pairs.filter((p) => p.status !== 'ok');
  const isolated = new Set(
    regions.filter((r) => {
      const mine = pairs.filter((p) => p.from === r || p.to === r);
      return mine.length > 0 && mine.every((p) => p.status !== 'ok');
    }),
  );
  const blamed = new Set(isolated);
  for (const pair of bad) {
    if (!isolated.has(pair.from) && !isolated.has(pair.to)) {
      blamed.add(pair.from);
      blamed.add(pair.to);
    }
  }
  return blamed;
}

/** A DynamoDB AttributeValue (wire JSON shape), as much as hashing needs. */
type AttributeValue = Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

/** Attributes that replication itself manages and that legitimately differ between replicas. */
export function isReplicationMetadata(name: string): boolean {
  return name.startsWith('aws:rep:');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const out: Record<string, unknown> = {};
    for (const [key, v] of entries) {
      // String, number and binary sets are unordered.
      if ((key === 'SS' || key === 'NS' || key === 'BS') && Array.isArray(v)) {
        out[key] = (canonical(v) as string[]).slice().sort();
      } else out[key] = canonical(v);
    }
    return out;
  }
  return value;
}

/** A stable hash of an item's content (attribute order and set order do not matter). */
export function itemHash(item: Item): string {
  const content: Item = {};
  for (const [name, value] of Object.entries(item)) if (!isReplicationMetadata(name)) content[name] = value;
  return createHash('sha256')
    .update(JSON.stringify(canonical(content)))
    .digest('hex');
}

export interface ReplicaPartition {
  region: string;
  /** sort key -> item hash; undefined when the replica could not be read. */
  items?: ReadonlyMap<string, string>;
  error?: string;
}

export interface PartitionDiff {
  sk: string;
  missingIn: string[];
  /** Regions whose copy differs from the most common version of the item. */
  differsIn: string[];
}

export interface PartitionSummary {
  region: string;
  count?: number;
  hash?: string;
  error?: string;
}

/** A hash of the whole partition: sort keys and item hashes, in sort-key order. */
export function partitionHash(items: ReadonlyMap<string, string>): string {
  const hash = createHash('sha256');
  for (const sk of [...items.keys()].sort()) hash.update(`${sk}\u0000${items.get(sk)}\n`);
  return hash.digest('hex');
}

/** Per replica count and hash, and every sort key that is not the same everywhere. */
export function comparePartitions(replicas: readonly ReplicaPartition[]): {
  summaries: PartitionSummary[];
  differing: PartitionDiff[];
} {
  const summaries = replicas.map((r) =>
    r.items
      ? { region: r.region, count: r.items.size, hash: partitionHash(r.items).slice(0, 16) }
      : { region: r.region, error: r.error ?? 'not read' },
  );
  const readable = replicas.filter((r) => r.items) as (ReplicaPartition & {
    items: ReadonlyMap<string, string>;
  })[];
  const allKeys = new Set(readable.flatMap((r) => [...r.items.keys()]));
  const differing: PartitionDiff[] = [];
  for (const sk of [...allKeys].sort()) {
    const missingIn = readable.filter((r) => !r.items.has(sk)).map((r) => r.region);
    const versions = new Map<string, string[]>();
    for (const r of readable) {
      const hash = r.items.get(sk);
      if (hash === undefined) continue;
      versions.set(hash, [...(versions.get(hash) ?? []), r.region]);
    }
    let differsIn: string[] = [];
    if (versions.size > 1) {
      const [, ...minority] = [...versions.values()].sort((a, b) => b.length - a.length);
      differsIn = minority.flat();
    }
    if (missingIn.length || differsIn.length) differing.push({ sk, missingIn, differsIn });
  }
  return { summaries, differing };
}
