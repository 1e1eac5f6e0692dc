/** Reading a region's DynamoDB stream from the engine: its shards (found again as they close) and their records. */
import type { RegionReplica } from './region-replica.js';
import type { Shard, StreamRecord } from './versions.js';

/** GetRecords page size; a full page is followed by another read at once. */
export const RECORDS_PER_READ = 1000;

/** Adds the stream's new shards, each with an iterator: a table created now is read from its start. */
export async function discoverShards(replica: RegionReplica, initial: boolean): Promise<void> {
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
      replica.shards.set(shard.ShardId, await openShard(replica, shard.ShardId, initial));
    }
    exclusiveStart = described.StreamDescription?.LastEvaluatedShardId;
  } while (exclusiveStart);
  if (initial) replica.resume = undefined;
}

/**
 * A shard's iterator: after its checkpointed record, if a checkpoint has one; from its start for a table made
 * now, a shard found later, or a shard that appeared after the checkpoint; otherwise at its end (LATEST).
 */
async function openShard(replica: RegionReplica, shardId: string, initial: boolean): Promise<Shard> {
  const saved = initial ? replica.resume?.get(shardId) : undefined;
  const start = saved?.start ?? (replica.fromStart || !initial || replica.resume ? 'TRIM_HORIZON' : 'LATEST');
  const iteratorOf = (position: Record<string, string>) =>
    replica.client.call<{ ShardIterator?: string }>('DynamoDBStreams_20120810.GetShardIterator', {
      StreamArn: replica.streamArn,
      ShardId: shardId,
      ...position,
    });
  let iterator: { ShardIterator?: string };
  if (saved?.lastSequence) {
    const after = { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: saved.lastSequence };
    iterator = await iteratorOf(after).catch((error: Error) => {
      // Trimmed past the checkpoint (down longer than the stream keeps records): what is left is read.
      if (error.name !== 'TrimmedDataAccessException') throw error;
      return iteratorOf({ ShardIteratorType: 'TRIM_HORIZON' });
    });
  } else {
    iterator = await iteratorOf({ ShardIteratorType: start });
  }
  return {
    iterator: iterator.ShardIterator,
    ...(saved?.lastSequence ? { lastSequence: saved.lastSequence } : {}),
    start,
    closed: !iterator.ShardIterator,
  };
}

/** Reads one page of a shard, handing each record to `onRecord`; an expired iterator is renewed. */
export async function readShard(
  replica: RegionReplica,
  shardId: string,
  shard: Shard,
  onRecord: (record: StreamRecord, observedAt: number) => void,
): Promise<number> {
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
    onRecord(record, observedAt);
  }
  shard.iterator = result.NextShardIterator;
  if (!shard.iterator) shard.closed = true;
  return records.length;
}
