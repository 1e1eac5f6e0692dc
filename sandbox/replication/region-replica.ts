/** One region's side of replication: its stream's shards, the versions it holds, and its poll loop's state. */
import { EngineClient } from '../engine-client.js';
import type { Held, Pending, Shard, ShardPosition } from './versions.js';

export class RegionReplica {
  readonly client: EngineClient;
  readonly held = new Map<string, Held>();
  readonly pending = new Map<string, Pending[]>();
  readonly locks = new Map<string, Promise<void>>();
  readonly shards = new Map<string, Shard>();
  streamArn?: string;
  /** Shard positions from a checkpoint, used by the first discovery of the shards (then dropped). */
  resume?: Map<string, ShardPosition>;
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
