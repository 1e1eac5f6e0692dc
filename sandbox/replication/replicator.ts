/**
 * Over 400 lines because the pair queues, the pause/resume state and resuming them from a checkpoint change
 * together; the stream reading, each region's replica, the versions, the writes and the checkpoint's file are
 * in the other files of this folder.
 *
 * Global Table replication between the regions' DynamoDB Local databases.
 *
 * Each region's stream is polled (./stream.ts); a change written there by a client (not by replication)
 * gets a version (observation time in ms, origin region) and is delivered to every other region after that
 * pair's lag, in order per pair. A region applies an incoming change only if its version beats the version
 * it holds for that item (last writer wins, ties broken by region key), so every replica converges on one
 * winner (./writer.ts). Changes written by replication are recognised in the stream by their image and are
 * not re-replicated (no echo loops). If a local write slipped in between (the stream shows the local change
 * before the echo of an older replicated one), the region's winner is written back, so it converges too.
 * Versions live in a side map, never in the items, so items read the same in every region.
 */
import {
  loadSnapshot,
  prepareReapply,
  type ReplicationSnapshot,
  restoreRegion,
  SnapshotWriter,
  snapshotOf,
} from './checkpoint.js';
import { RegionReplica } from './region-replica.js';
import { discoverShards, RECORDS_PER_READ, readShard } from './stream.js';
import {
  type Change,
  canonical,
  canonicalImage,
  compareVersions,
  type Image,
  PRUNE_AFTER_MS,
  type StreamRecord,
} from './versions.js';
import { ReplicaWriter } from './writer.js';

export type { Version } from './versions.js';
export { canonical, compareVersions } from './versions.js';

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
  /**
   * Keep replication's state in this file (a sandbox with --persist): stream positions, versions and changes
   * not yet applied survive a crash, and a restart resumes from them (./checkpoint.ts).
   */
  readonly checkpointPath?: string;
  /**
   * Each batch applied: the pair, how many changes, the lag of its oldest (observed write to applied), and
   * how many of them `isRoutine` said its probes wrote.
   */
  readonly onBatch?: (batch: {
    from: string;
    to: string;
    items: number;
    lagMs: number;
    routine: number;
  }) => void;
  /** Whether a changed item (its keys, and its new image or a delete's old one) is routine traffic's. */
  readonly isRoutine?: (keys: Image, image: Image | undefined) => boolean;
}

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

/** One direction between two regions with changes not yet applied at the far end. */
export interface PairLag {
  readonly from: string;
  readonly to: string;
  readonly pending: number;
  /** Age of the oldest change waiting (its write's time to now), ms. */
  readonly oldestMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface PairQueue {
  readonly from: string;
  readonly to: string;
  readonly items: { due: number; change: Change }[];
  running: boolean;
  timer?: NodeJS.Timeout;
  /** Ms from each applied change's write to its apply since the last pairSamples() (ReplicationLatency). */
  latencies: number[];
  /** The longest of those since the last inboundLagMs() (the surge controller's own window). */
  windowMaxMs: number;
}

/** One source -> receiving pair since the previous sampling: what CloudWatch publishes for a global table. */
export interface ReplicationPairSample {
  readonly from: string;
  readonly to: string;
  readonly pending: number;
  readonly latenciesMs: readonly number[];
}

/** Every record of a region's stream, in stream order, as replication reads it (local and replicated writes). */
export type StreamTap = (regionKey: string, record: StreamRecord) => void;

export class Replicator {
  private readonly regions = new Map<string, RegionReplica>();
  private readonly taps = new Set<StreamTap>();
  private readonly queues = new Map<string, PairQueue>();
  private readonly paused = new Set<string>();
  private inflight = 0;
  private stopped = false;
  private readonly counters = { observed: 0, applied: 0, superseded: 0, restored: 0, writeRequests: 0 };

  private readonly writer: ReplicaWriter;
  private readonly snapshots?: SnapshotWriter;
  private saved?: Promise<ReplicationSnapshot | undefined>;

  constructor(private readonly options: ReplicatorOptions) {
    this.writer = new ReplicaWriter(options.tableName, this.counters, (error, where) =>
      this.report(error, where),
    );
    const path = options.checkpointPath;
    if (path) {
      this.snapshots = new SnapshotWriter(
        path,
        () => snapshotOf(this.regions.values(), this.queues.values()),
        (error) => this.report(error, 'saving the replication checkpoint'),
      );
    }
  }

  get stats(): ReplicationStats {
    let queued = 0;
    for (const queue of this.queues.values()) queued += queue.items.length;
    return { ...this.counters, queued };
  }

  /** Every pair with changes waiting: how many, and how old the oldest is. */
  pairs(now = Date.now()): PairLag[] {
    return [...this.queues.values()]
      .filter((q) => q.items.length > 0)
      .map((q) => ({
        from: q.from,
        to: q.to,
        pending: q.items.length,
        oldestMs: Math.max(0, now - q.items[0].change.version.ts),
      }));
  }

  /** Every pair's pending count and the latencies applied since the previous call (starts the next). */
  pairSamples(): ReplicationPairSample[] {
    return [...this.queues.values()].map((queue) => {
      const sample = {
        from: queue.from,
        to: queue.to,
        pending: queue.items.length,
        latenciesMs: queue.latencies,
      };
      queue.latencies = [];
      return sample;
    });
  }

  /**
   * The replication lag into region `to` as its surge controller reads it (CloudWatch's ReplicationLatency
   * into the region, as a maximum): the longest a change from any other region took to apply there since the
   * previous call, or the age of the oldest still waiting (a paused or slow pair), whichever is longer.
   * Starts the next window.
   */
  inboundLagMs(to: string, now = Date.now()): number {
    let lag = 0;
    for (const queue of this.queues.values()) {
      if (queue.to !== to) continue;
      const waiting = queue.items.length > 0 ? now - queue.items[0].change.version.ts : 0;
      lag = Math.max(lag, queue.windowMaxMs, waiting);
      queue.windowMaxMs = 0;
    }
    return Math.max(0, lag);
  }

  /**
   * Hands `tap` every record replication reads from now on, of every region's stream (the sandbox's event
   * bus and analytics read the streams so, as Pipes and Lambda do on AWS, without polling them again).
   * Returns the function that stops it.
   */
  tap(tap: StreamTap): () => void {
    this.taps.add(tap);
    return () => this.taps.delete(tap);
  }

  private handTaps(regionKey: string, record: StreamRecord): void {
    for (const tap of this.taps) {
      try {
        tap(regionKey, record);
      } catch (error) {
        this.report(error, `a stream reader of ${regionKey}`);
      }
    }
  }

  /** Starts replicating a region; `fromStart` reads its stream from the beginning (a table created now). */
  addRegion(key: string, awsRegion: string, options: { fromStart: boolean }): Promise<void> {
    return this.addRegions([{ key, awsRegion, ...options }]);
  }

  /**
   * Starts replicating several regions at once. With a checkpoint, each region whose stream is the one saved
   * resumes from it, and the changes saved between two of them are applied again; no stream is read before
   * every region is in, so a change read on resuming goes to all of them.
   */
  async addRegions(specs: readonly { key: string; awsRegion: string; fromStart: boolean }[]): Promise<void> {
    if (this.options.checkpointPath && !this.saved) this.saved = loadSnapshot(this.options.checkpointPath);
    const saved = await this.saved;
    const added: RegionReplica[] = [];
    const resumed = new Set<string>();
    for (const spec of specs) {
      const replica = new RegionReplica(
        spec.key,
        spec.awsRegion,
        this.options.endpoint,
        this.options.instanceId,
        spec.fromStart,
      );
      const table = await replica.client.call<{ Table?: { LatestStreamArn?: string } }>(
        'DynamoDB_20120810.DescribeTable',
        { TableName: this.options.tableName },
      );
      replica.streamArn = table.Table?.LatestStreamArn;
      if (!replica.streamArn) throw new Error(`the chat table in ${spec.key} has no stream`);
      const region = saved?.regions[spec.key];
      if (!spec.fromStart && region?.streamArn === replica.streamArn) {
        restoreRegion(replica, region);
        resumed.add(spec.key);
      }
      await discoverShards(replica, true);
      this.regions.set(spec.key, replica);
      added.push(replica);
    }
    for (const queue of saved?.queues ?? []) {
      const target = this.regions.get(queue.to);
      if (!target || !resumed.has(queue.from) || !resumed.has(queue.to)) continue;
      for (const item of queue.items) {
        prepareReapply(target, item.change);
        this.queueOf(queue.from, queue.to).items.push(item);
      }
    }
    // A later addRegions (a region added while running) does not resume again.
    if (saved) this.saved = Promise.resolve(undefined);
    for (const replica of added) replica.loop = this.pollLoop(replica);
    this.pumpAll();
    this.snapshots?.touch();
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
    this.snapshots?.touch();
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
      await this.writer.apply(target, { key, keys, image: item, version: { ts: 0, origin: '' } });
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
    // The last state, written before the regions are let go (what a paused pair holds is kept for the next up).
    await this.snapshots?.close();
    this.regions.clear();
  }

  private report(error: unknown, where: string): void {
    if (this.stopped) return;
    this.options.onError?.(error as Error, where);
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
          await discoverShards(replica, false);
          lastDiscovery = Date.now();
        }
        for (const [shardId, shard] of replica.shards) {
          if (shard.closed || !shard.iterator) continue;
          const read = await readShard(replica, shardId, shard, (record, at) => {
            this.onRecord(replica, record, at);
            if (this.taps.size > 0) this.handTaps(replica.key, record);
          });
          count += read;
          if (read >= RECORDS_PER_READ) fullPage = true;
        }
      } catch (error) {
        this.report(error, `reading the stream of ${replica.key}`);
      }
      replica.lastPollHadRecords = count > 0;
      if (count > 0) {
        replica.recordsSeenFrom = replica.pollStartedAt;
        this.snapshots?.touch();
      }
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
        void this.writer.restore(replica, key, keys, held);
      }
      return;
    }
    const previous = replica.held.get(key);
    // What this region already holds: the echo of a write replication made just before a crash, which the
    // checkpoint did not expect yet (a client's put of an unchanged item writes no stream record).
    if (previous && !previous.pruned && canonicalImage(previous.image) === canonicalImage(image)) return;
    this.counters.observed++;
    const ts = Math.max(observedAt, (previous?.version.ts ?? 0) + 1);
    // A delete has no image: the one this region held says whose item it was.
    const routine = this.options.isRoutine?.(keys, image ?? previous?.image);
    const change: Change = {
      key,
      keys,
      image,
      version: { ts, origin: replica.key },
      ...(routine ? { routine } : {}),
    };
    replica.held.set(key, { version: change.version, image });
    for (const other of this.regions.keys()) {
      if (other !== replica.key) this.enqueue(replica.key, other, change);
    }
  }

  private queueOf(from: string, to: string): PairQueue {
    const id = `${from}>${to}`;
    let queue = this.queues.get(id);
    if (!queue) {
      queue = { from, to, items: [], running: false, latencies: [], windowMaxMs: 0 };
      this.queues.set(id, queue);
    }
    return queue;
  }

  private enqueue(from: string, to: string, change: Change): void {
    const queue = this.queueOf(from, to);
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
            if (batch.length > 1) await this.writer.applyPuts(target, batch);
            else await this.writer.apply(target, next.change);
            const applied = queue.items.splice(0, batch.length || 1);
            this.snapshots?.touch();
            const now = Date.now();
            for (const item of applied) {
              const latency = now - item.change.version.ts;
              if (queue.latencies.length < 5000) queue.latencies.push(latency);
              queue.windowMaxMs = Math.max(queue.windowMaxMs, latency);
            }
            this.options.onBatch?.({
              from: queue.from,
              to: queue.to,
              items: applied.length,
              lagMs: Date.now() - Math.min(...applied.map((item) => item.change.version.ts)),
              routine: applied.filter((item) => item.change.routine).length,
            });
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
