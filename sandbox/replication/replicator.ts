/**
 * Global Table replication between the regions' DynamoDB Local databases.
 *
 * Each region's stream is polled; a change written there by a client (not by replication) gets a version
 * (observation time in ms, origin region) and is delivered to every other region after that pair's lag, in
 * order per pair. A region applies an incoming change only if its version beats the version it holds for
 * that item (last writer wins, ties broken by region key), so every replica converges on one winner.
 * Changes written by replication are recognised in the stream by their image and are not re-replicated (no
 * echo loops). If a local write slipped in between (the stream shows the local change before the echo of
 * an older replicated one), the region's winner is written back, so it converges too. Versions live in a
 * side map, never in the items, so items read the same in every region.
 */
import { EngineClient } from './engine-client.js';

/** DynamoDB JSON attribute values, as the wire carries them (B as base64 text). */
type AttributeValue = Record<string, unknown>;

interface StreamRecord {
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

type Image = Record<string, AttributeValue>;

interface Change {
  readonly key: string;
  readonly keys: Image;
  /** undefined for a delete */
  readonly image: Image | undefined;
  readonly version: Version;
}

interface Held {
  readonly version: Version;
  readonly image: Image | undefined;
  /** The image was dropped to bound memory (only the version is needed once the item is old). */
  readonly pruned?: boolean;
}

/** Images of items older than this are dropped from the side map; their versions stay. */
const PRUNE_AFTER_MS = 5 * 60_000;

interface Pending {
  readonly canon: string;
  readonly version: Version;
  readonly at: number;
}

interface Shard {
  iterator?: string;
  lastSequence?: string;
  closed: boolean;
}

export interface ReplicatorOptions {
  readonly endpoint: string;
  readonly instanceId: string;
  readonly tableName: string;
  /** One-way lag in ms from one region key to another (latency faults are added by the replicator). */
  lagMs(from: string, to: string): number;
  /** Extra delay of a region (its latency fault), ms. */
  extraDelayMs(region: string): number;
  /** True when a fault pauses the region's replication. */
  faultPaused(region: string): boolean;
  /** Shortest gap between two polls of a stream while writes are arriving (default 20 ms). */
  readonly pollIntervalMs?: number;
  /** Poll period of a stream no write was noted for: replication's own writes, TTL expiries (default 100 ms). */
  readonly idlePollIntervalMs?: number;
  /** How long a change may wait past its due time for others to share its write (default 10 ms). */
  readonly batchWindowMs?: number;
  readonly onError?: (error: Error, where: string) => void;
}

/** GetRecords page size; a full page is followed by another read at once. */
const RECORDS_PER_READ = 1000;
/** After a noted write, empty reads are retried this long: a record shows in the stream a few ms late. */
const WRITE_FOLLOW_MS = 50;
/** Changes wait this long past their due time for others to share the write (cuts engine CPU under load). */
const BATCH_WINDOW_MS = 10;
/** BatchWriteItem's limit. */
const BATCH_ITEMS = 25;

export interface ReplicationStats {
  readonly observed: number;
  readonly applied: number;
  readonly superseded: number;
  readonly restored: number;
  readonly queued: number;
  /** PutItem, DeleteItem and BatchWriteItem requests replication made (one batch carries many changes). */
  readonly writeRequests: number;
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
function canonicalImage(image: Image | undefined): string {
  if (!image) return 'DELETE';
  let canon = imageCanons.get(image);
  if (canon === undefined) {
    canon = canonical(image);
    imageCanons.set(image, canon);
  }
  return canon;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class RegionReplica {
  readonly client: EngineClient;
  readonly held = new Map<string, Held>();
  readonly pending = new Map<string, Pending[]>();
  readonly locks = new Map<string, Promise<void>>();
  readonly shards = new Map<string, Shard>();
  streamArn?: string;
  stopped = false;
  /** Time the last poll cycle started / finished, and whether it saw records. */
  pollStartedAt = 0;
  pollDoneAt = 0;
  lastPollHadRecords = false;
  private wake?: () => void;
  private waiters: { after: number; resolve: () => void }[] = [];
  loop?: Promise<void>;

  constructor(
    readonly key: string,
    readonly awsRegion: string,
    endpoint: string,
    instanceId: string,
    readonly fromStart: boolean,
  ) {
    this.client = new EngineClient(endpoint, instanceId, awsRegion);
  }

  private kicked = false;
  /** When a client's write to this region was last noted (the edge tells: see Replicator.noteWrite). */
  writeNotedAt = 0;
  /** When the last poll that found records started (it saw every write noted before then). */
  recordsSeenFrom = 0;

  kick(): void {
    if (this.wake) this.wake();
    else this.kicked = true;
  }

  async sleep(ms: number): Promise<void> {
    if (this.kicked) {
      this.kicked = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
  }

  /** Resolves once a poll cycle that started at or after `after` has finished. */
  pollAfter(after: number): Promise<void> {
    if (this.stopped || (this.pollStartedAt >= after && this.pollDoneAt >= this.pollStartedAt)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiters.push({ after, resolve });
      this.kick();
    });
  }

  finishPoll(): void {
    this.pollDoneAt = Date.now();
    const ready = this.waiters.filter((w) => this.pollStartedAt >= w.after);
    this.waiters = this.waiters.filter((w) => this.pollStartedAt < w.after);
    for (const waiter of ready) waiter.resolve();
  }

  releaseWaiters(): void {
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters = [];
  }

  /** Serialises work on several items (locks taken in one order, so two batches never wait on each other). */
  withKeys<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const hold = (index: number): Promise<T> =>
      index === sorted.length ? work() : this.withKey(sorted[index], () => hold(index + 1));
    return hold(0);
  }

  /** Serialises work on one item of this region. */
  async withKey<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => next);
    this.locks.set(key, chained);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.locks.get(key) === chained) this.locks.delete(key);
    }
  }
}

interface PairQueue {
  readonly from: string;
  readonly to: string;
  readonly items: { due: number; change: Change }[];
  running: boolean;
  timer?: NodeJS.Timeout;
}

export class Replicator {
  private readonly regions = new Map<string, RegionReplica>();
  private readonly queues = new Map<string, PairQueue>();
  private readonly paused = new Set<string>();
  private inflight = 0;
  private stopped = false;
  private counters = { observed: 0, applied: 0, superseded: 0, restored: 0, writeRequests: 0 };

  constructor(private readonly options: ReplicatorOptions) {}

  get stats(): ReplicationStats {
    let queued = 0;
    for (const queue of this.queues.values()) queued += queue.items.length;
    return { ...this.counters, queued };
  }

  regionKeys(): string[] {
    return [...this.regions.keys()];
  }

  /** Starts replicating a region; `fromStart` reads its stream from the beginning (a table created now). */
  async addRegion(key: string, awsRegion: string, options: { fromStart: boolean }): Promise<void> {
    const replica = new RegionReplica(
      key,
      awsRegion,
      this.options.endpoint,
      this.options.instanceId,
      options.fromStart,
    );
    const table = await replica.client.call<{ Table?: { LatestStreamArn?: string } }>(
      'DynamoDB_20120810.DescribeTable',
      { TableName: this.options.tableName },
    );
    replica.streamArn = table.Table?.LatestStreamArn;
    if (!replica.streamArn) throw new Error(`the chat table in ${key} has no stream`);
    await this.discoverShards(replica, true);
    this.regions.set(key, replica);
    replica.loop = this.pollLoop(replica);
  }

  async removeRegion(key: string): Promise<void> {
    const replica = this.regions.get(key);
    if (!replica) return;
    replica.stopped = true;
    replica.kick();
    this.regions.delete(key);
    for (const [id, queue] of this.queues) {
      if (queue.from === key || queue.to === key) {
        if (queue.timer) clearTimeout(queue.timer);
        queue.items.length = 0;
        this.queues.delete(id);
      }
    }
    await replica.loop;
    replica.releaseWaiters();
  }

  pause(key: string): void {
    this.paused.add(key);
  }

  resume(key: string): void {
    this.paused.delete(key);
    this.pumpAll();
  }

  isPaused(key: string): boolean {
    return this.paused.has(key) || this.options.faultPaused(key);
  }

  /**
   * A client wrote to the table in this AWS region (the edge calls it): its stream is read now, not at the
   * idle period. Streams nobody writes to through the edge (replication's own writes) are read at the idle
   * period, which keeps the engine's CPU for the requests.
   */
  noteWrite(awsRegion: string): void {
    for (const replica of this.regions.values()) {
      if (replica.awsRegion !== awsRegion) continue;
      replica.writeNotedAt = Date.now();
      replica.kick();
    }
  }

  /** Call when faults change (a heal may release held queues). */
  pumpAll(): void {
    for (const queue of this.queues.values()) this.pump(queue);
  }

  /** Copies every item of one region into another (a new replica); versions carried over. */
  async copyInto(to: string, items: Image[], keyAttributes: readonly string[]): Promise<void> {
    const target = this.regions.get(to);
    if (!target) throw new Error(`no replica ${to}`);
    for (const item of items) {
      const keys = Object.fromEntries(keyAttributes.map((name) => [name, item[name]])) as Image;
      const key = canonical(keys);
      await this.apply(target, { key, keys, image: item, version: { ts: 0, origin: '' } });
    }
  }

  /**
   * Resolves when every change observed so far has been applied in every region that is not paused, and a
   * fresh poll of every stream found nothing new.
   */
  async waitIdle(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.stopped) {
      const started = Date.now();
      const regions = [...this.regions.values()];
      await Promise.all(regions.map((r) => r.pollAfter(started)));
      const busy =
        this.inflight > 0 ||
        regions.some((r) => r.lastPollHadRecords) ||
        [...this.queues.values()].some(
          (q) => q.items.length > 0 && !this.isPaused(q.from) && !this.isPaused(q.to),
        );
      if (!busy) return;
      if (Date.now() > deadline) throw new Error('replication did not settle in time');
      await sleep(10);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const queue of this.queues.values()) if (queue.timer) clearTimeout(queue.timer);
    const regions = [...this.regions.values()];
    for (const replica of regions) {
      replica.stopped = true;
      replica.kick();
    }
    await Promise.all(regions.map((r) => r.loop));
    for (const replica of regions) replica.releaseWaiters();
    this.regions.clear();
  }

  private report(error: unknown, where: string): void {
    if (this.stopped) return;
    this.options.onError?.(error as Error, where);
  }

  private async discoverShards(replica: RegionReplica, initial: boolean): Promise<void> {
    let exclusiveStart: string | undefined;
    do {
      const described = await replica.client.call<{
        StreamDescription?: { Shards?: { ShardId?: string }[]; LastEvaluatedShardId?: string };
      }>('DynamoDBStreams_20120810.DescribeStream', {
        StreamArn: replica.streamArn,
        ...(exclusiveStart ? { ExclusiveStartShardId: exclusiveStart } : {}),
      });
      for (const shard of described.StreamDescription?.Shards ?? []) {
        if (!shard.ShardId || replica.shards.has(shard.ShardId)) continue;
        const fromStart = replica.fromStart || !initial;
        const iterator = await replica.client.call<{ ShardIterator?: string }>(
          'DynamoDBStreams_20120810.GetShardIterator',
          {
            StreamArn: replica.streamArn,
            ShardId: shard.ShardId,
            ShardIteratorType: fromStart ? 'TRIM_HORIZON' : 'LATEST',
          },
        );
        replica.shards.set(shard.ShardId, {
          iterator: iterator.ShardIterator,
          closed: !iterator.ShardIterator,
        });
      }
      exclusiveStart = described.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStart);
  }

  private async pollLoop(replica: RegionReplica): Promise<void> {
    const minGap = this.options.pollIntervalMs ?? 20;
    const idle = this.options.idlePollIntervalMs ?? 100;
    let lastDiscovery = Date.now();
    let lastPrune = Date.now();
    while (!replica.stopped && !this.stopped) {
      if (Date.now() - lastPrune > 30_000) {
        lastPrune = Date.now();
        const cutoff = lastPrune - PRUNE_AFTER_MS;
        for (const [key, held] of replica.held) {
          if (!held.pruned && held.version.ts < cutoff && !replica.pending.has(key)) {
            replica.held.set(key, { version: held.version, image: undefined, pruned: true });
          }
        }
      }
      replica.pollStartedAt = Date.now();
      let count = 0;
      let fullPage = false;
      try {
        if (Date.now() - lastDiscovery > 5000 || [...replica.shards.values()].some((s) => s.closed)) {
          for (const [id, shard] of replica.shards) if (shard.closed) replica.shards.delete(id);
          await this.discoverShards(replica, false);
          lastDiscovery = Date.now();
        }
        for (const [shardId, shard] of replica.shards) {
          if (shard.closed || !shard.iterator) continue;
          const read = await this.readShard(replica, shardId, shard);
          count += read;
          if (read >= RECORDS_PER_READ) fullPage = true;
        }
      } catch (error) {
        this.report(error, `reading the stream of ${replica.key}`);
      }
      replica.lastPollHadRecords = count > 0;
      if (count > 0) replica.recordsSeenFrom = replica.pollStartedAt;
      replica.finishPoll();
      if (replica.stopped || this.stopped) break;
      if (fullPage) continue;
      // Writes arriving: poll again soon, but never more often than minGap (each read costs the engine about
      // as much as a write); no write noted lately: the idle period, unless the edge notes one (kick).
      const sinceStart = Date.now() - replica.pollStartedAt;
      // A noted write whose record no poll has shown yet (it may show a few ms after the write returns).
      const following =
        replica.writeNotedAt >= replica.recordsSeenFrom &&
        Date.now() - replica.writeNotedAt < WRITE_FOLLOW_MS;
      await replica.sleep(following ? Math.max(1, minGap - sinceStart) : idle);
      const gap = minGap - (Date.now() - replica.pollStartedAt);
      if (gap > 0) await sleep(gap);
    }
  }

  private async readShard(replica: RegionReplica, shardId: string, shard: Shard): Promise<number> {
    let result: { Records?: StreamRecord[]; NextShardIterator?: string };
    try {
      result = await replica.client.call('DynamoDBStreams_20120810.GetRecords', {
        ShardIterator: shard.iterator,
        Limit: RECORDS_PER_READ,
      });
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') {
        const iterator = await replica.client.call<{ ShardIterator?: string }>(
          'DynamoDBStreams_20120810.GetShardIterator',
          {
            StreamArn: replica.streamArn,
            ShardId: shardId,
            ...(shard.lastSequence
              ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastSequence }
              : { ShardIteratorType: 'TRIM_HORIZON' }),
          },
        );
        shard.iterator = iterator.ShardIterator;
        return 0;
      }
      throw error;
    }
    const records = result.Records ?? [];
    const observedAt = Date.now();
    for (const record of records) {
      if (record.dynamodb?.SequenceNumber) shard.lastSequence = record.dynamodb.SequenceNumber;
      this.onRecord(replica, record, observedAt);
    }
    shard.iterator = result.NextShardIterator;
    if (!shard.iterator) shard.closed = true;
    return records.length;
  }

  private onRecord(replica: RegionReplica, record: StreamRecord, observedAt: number): void {
    const data = record.dynamodb;
    if (!data?.Keys) return;
    const keys = data.Keys as Image;
    const key = canonical(keys);
    const image = record.eventName === 'REMOVE' ? undefined : (data.NewImage as Image | undefined);
    const pending = replica.pending.get(key);
    // Only an item replication wrote here can be an echo: the image is compared only then.
    const canon = pending ? canonicalImage(image) : '';
    const index = pending?.findIndex((p) => p.canon === canon) ?? -1;
    if (pending && index >= 0) {
      // The echo of a change replication applied: not re-replicated.
      const [echo] = pending.splice(index, 1);
      if (pending.length === 0) replica.pending.delete(key);
      const held = replica.held.get(key);
      if (
        held &&
        !held.pruned &&
        compareVersions(held.version, echo.version) > 0 &&
        canonicalImage(held.image) !== canon
      ) {
        // A newer change (local or replicated) is the winner here but this older one landed after it.
        this.counters.restored++;
        void this.restore(replica, key, keys, held);
      }
      return;
    }
    this.counters.observed++;
    const previous = replica.held.get(key);
    const ts = Math.max(observedAt, (previous?.version.ts ?? 0) + 1);
    const change: Change = { key, keys, image, version: { ts, origin: replica.key } };
    replica.held.set(key, { version: change.version, image });
    for (const other of this.regions.keys()) {
      if (other !== replica.key) this.enqueue(replica.key, other, change);
    }
  }

  private enqueue(from: string, to: string, change: Change): void {
    const id = `${from}>${to}`;
    let queue = this.queues.get(id);
    if (!queue) {
      queue = { from, to, items: [], running: false };
      this.queues.set(id, queue);
    }
    const lag =
      this.options.lagMs(from, to) + this.options.extraDelayMs(from) + this.options.extraDelayMs(to);
    const last = queue.items[queue.items.length - 1]?.due ?? 0;
    queue.items.push({ due: Math.max(change.version.ts + lag, last), change });
    this.pump(queue);
  }

  private pump(queue: PairQueue): void {
    if (queue.running || this.stopped) return;
    if (queue.timer) {
      clearTimeout(queue.timer);
      queue.timer = undefined;
    }
    if (queue.items.length === 0 || this.isPaused(queue.from) || this.isPaused(queue.to)) return;
    const head = queue.items[0];
    // Held a little past the head's due time, so the changes due meanwhile share its BatchWriteItem.
    const wait = head.due + (this.options.batchWindowMs ?? BATCH_WINDOW_MS) - Date.now();
    if (wait > 0) {
      queue.timer = setTimeout(() => {
        queue.timer = undefined;
        this.pump(queue);
      }, wait);
      return;
    }
    queue.running = true;
    this.inflight++;
    void (async () => {
      try {
        while (queue.items.length > 0 && !this.stopped) {
          if (this.isPaused(queue.from) || this.isPaused(queue.to)) break;
          const next = queue.items[0];
          if (next.due > Date.now()) break;
          const target = this.regions.get(queue.to);
          if (!target) {
            queue.items.length = 0;
            break;
          }
          const batch = dueBatch(queue.items, Date.now());
          try {
            if (batch.length > 1) await this.applyPuts(target, batch);
            else await this.apply(target, next.change);
            queue.items.splice(0, batch.length || 1);
          } catch (error) {
            this.report(error, `applying a change from ${queue.from} to ${queue.to}`);
            await sleep(200);
          }
        }
      } finally {
        queue.running = false;
        this.inflight--;
        if (queue.items.length > 0) this.pump(queue);
      }
    })();
  }

  private async apply(target: RegionReplica, change: Change): Promise<void> {
    await target.withKey(change.key, async () => {
      const held = target.held.get(change.key);
      if (held && compareVersions(held.version, change.version) >= 0) {
        this.counters.superseded++;
        return;
      }
      target.held.set(change.key, { version: change.version, image: change.image });
      try {
        await this.write(target, change.key, change.keys, change.image, change.version);
      } catch (error) {
        // Not written: the retry must not find its own version held and skip it.
        if (held) target.held.set(change.key, held);
        else target.held.delete(change.key);
        throw error;
      }
      this.counters.applied++;
    });
  }

  /**
   * Applies several puts of distinct items in one BatchWriteItem: one engine request instead of one per item
   * (a chat message is two items, and every region receives both).
   */
  private async applyPuts(target: RegionReplica, changes: readonly Change[]): Promise<void> {
    await target.withKeys(
      changes.map((c) => c.key),
      async () => {
        const writes: { change: Change; previous: Held | undefined; entry: Pending }[] = [];
        for (const change of changes) {
          const held = target.held.get(change.key);
          if (held && compareVersions(held.version, change.version) >= 0) {
            this.counters.superseded++;
            continue;
          }
          target.held.set(change.key, { version: change.version, image: change.image });
          const canon = canonicalImage(change.image);
          // The item already reads so: an identical put would write no stream record (no echo to expect).
          if (held?.image && !held.pruned && canonicalImage(held.image) === canon) {
            this.counters.applied++;
            continue;
          }
          writes.push({
            change,
            previous: held,
            entry: this.expectEcho(target, change.key, canon, change.version),
          });
        }
        if (writes.length === 0) return;
        try {
          let requests = writes.map((w) => ({ PutRequest: { Item: w.change.image } }));
          for (let attempt = 1; requests.length > 0; attempt++) {
            this.counters.writeRequests++;
            const result = await target.client.call<{
              UnprocessedItems?: Record<string, { PutRequest: { Item: Image } }[]>;
            }>('DynamoDB_20120810.BatchWriteItem', { RequestItems: { [this.options.tableName]: requests } });
            requests = result.UnprocessedItems?.[this.options.tableName] ?? [];
            if (requests.length > 0 && attempt >= 5) throw new Error('BatchWriteItem left items unprocessed');
            if (requests.length > 0) await sleep(10 * attempt);
          }
        } catch (error) {
          for (const w of writes) {
            this.forgetEcho(target, w.change.key, w.entry);
            if (w.previous) target.held.set(w.change.key, w.previous);
            else target.held.delete(w.change.key);
          }
          throw error;
        }
        this.counters.applied += writes.length;
      },
    );
  }

  private async restore(replica: RegionReplica, key: string, keys: Image, held: Held): Promise<void> {
    try {
      await replica.withKey(key, async () => {
        const current = replica.held.get(key);
        if (current !== held) return; // something newer is already on its way
        await this.write(replica, key, keys, held.image, held.version);
      });
    } catch (error) {
      this.report(error, `restoring the winner of an item in ${replica.key}`);
    }
  }

  /** Notes that a write replication makes will show in the target's stream (not to be re-replicated). */
  private expectEcho(target: RegionReplica, key: string, canon: string, version: Version): Pending {
    const entry: Pending = { canon, version, at: Date.now() };
    const list = target.pending.get(key) ?? [];
    // Forget expectations that never showed up in the stream (should not happen; keeps the map bounded).
    const fresh = list.filter((p) => entry.at - p.at < 60_000);
    fresh.push(entry);
    target.pending.set(key, fresh);
    return entry;
  }

  private forgetEcho(target: RegionReplica, key: string, entry: Pending): void {
    const current = target.pending.get(key);
    const index = current?.indexOf(entry) ?? -1;
    if (current && index >= 0) current.splice(index, 1);
    if (current?.length === 0) target.pending.delete(key);
  }

  private async write(
    target: RegionReplica,
    key: string,
    keys: Image,
    image: Image | undefined,
    version: Version,
  ): Promise<void> {
    const canon = canonicalImage(image);
    const entry = this.expectEcho(target, key, canon, version);
    const drop = () => this.forgetEcho(target, key, entry);
    this.counters.writeRequests++;
    try {
      if (image) {
        const result = await target.client.call<{ Attributes?: Image }>('DynamoDB_20120810.PutItem', {
          TableName: this.options.tableName,
          Item: image,
          ReturnValues: 'ALL_OLD',
        });
        // An identical put writes no stream record.
        if (result.Attributes && canonical(result.Attributes) === canon) drop();
      } else {
        const result = await target.client.call<{ Attributes?: Image }>('DynamoDB_20120810.DeleteItem', {
          TableName: this.options.tableName,
          Key: keys,
          ReturnValues: 'ALL_OLD',
        });
        if (!result.Attributes) drop();
      }
    } catch (error) {
      drop();
      throw error;
    }
  }
}

/**
 * The due puts at the head of a pair's queue that can share one BatchWriteItem: distinct items, in order,
 * up to the first delete (deletes go one by one: only DeleteItem says whether there was an item to delete).
 */
function dueBatch(items: readonly { due: number; change: Change }[], now: number): Change[] {
  const batch: Change[] = [];
  const keys = new Set<string>();
  for (const item of items) {
    if (batch.length >= BATCH_ITEMS || item.due > now || !item.change.image || keys.has(item.change.key))
      break;
    keys.add(item.change.key);
    batch.push(item.change);
  }
  return batch;
}
