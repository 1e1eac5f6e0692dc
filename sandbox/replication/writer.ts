/**
 * Applying changes to a region: last writer wins by version (an older change is superseded), one item at a
 * time under its lock, puts of distinct items batched in one BatchWriteItem, and every write noted as an
 * echo to expect in the target's stream (so it is not replicated again).
 */
import type { RegionReplica } from './region-replica.js';
import {
  type Change,
  canonical,
  canonicalImage,
  compareVersions,
  type Held,
  type Image,
  type Pending,
  type Version,
} from './versions.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface WriteCounters {
  applied: number;
  superseded: number;
  writeRequests: number;
}

export class ReplicaWriter {
  constructor(
    private readonly tableName: string,
    private readonly counters: WriteCounters,
    private readonly report: (error: unknown, where: string) => void,
  ) {}

  async apply(target: RegionReplica, change: Change): Promise<void> {
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
  async applyPuts(target: RegionReplica, changes: readonly Change[]): Promise<void> {
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
            }>('DynamoDB_20120810.BatchWriteItem', { RequestItems: { [this.tableName]: requests } });
            requests = result.UnprocessedItems?.[this.tableName] ?? [];
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

  async restore(replica: RegionReplica, key: string, keys: Image, held: Held): Promise<void> {
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
          TableName: this.tableName,
          Item: image,
          ReturnValues: 'ALL_OLD',
        });
        // An identical put writes no stream record.
        if (result.Attributes && canonical(result.Attributes) === canon) drop();
      } else {
        const result = await target.client.call<{ Attributes?: Image }>('DynamoDB_20120810.DeleteItem', {
          TableName: this.tableName,
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
