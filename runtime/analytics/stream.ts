/**
 * The analytics flattener: DynamoDB Streams records -> plain key/value rows -> Kinesis Data Firehose.
 * Each row is the record's keys and NewImage, unmarshalled from DynamoDB's typed JSON; the envelope
 * (eventID, SequenceNumber, SizeBytes, ...) is dropped. Records without a NewImage (deletes, TTL expiry) and
 * bookkeeping items (health probes, relay markers, send idempotency records) are skipped.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ATTR, keys as KEYS, PREFIX } from '../../core/datamodel.js';
import { backoffMs, sleep } from '../util.js';

export type FlatRow = Record<string, unknown>;

function plain(value: unknown): unknown {
  if (value instanceof Set) return [...value].map(plain);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/**
 * Bookkeeping items that are not chat activity: health probes, relay dedupe markers, send idempotency
 * records, reaction cap counters, presence epochs (`CONN#<region>` and `MSG#~EPOCH#<region>` in a room).
 */
function isBookkeeping(keys: Record<string, { S?: string }>): boolean {
  const pk = keys[ATTR.pk]?.S ?? '';
  const sk = keys[ATTR.sk]?.S ?? '';
  const epoch = pk.startsWith(KEYS.roomPk('')) && (/^CONN#[^#]+$/.test(sk) || sk.startsWith('MSG#~EPOCH#'));
  return (
    pk === KEYS.healthPk ||
    sk.startsWith(PREFIX.relay) ||
    sk.startsWith(PREFIX.clientMsg) ||
    sk.startsWith(PREFIX.reactionCap) ||
    epoch
  );
}

export function flattenRecord(record: DynamoDBRecord): FlatRow | undefined {
  const image = record.dynamodb?.NewImage;
  const keys = record.dynamodb?.Keys ?? {};
  if (!image || isBookkeeping(keys as Record<string, { S?: string }>)) return undefined;
  const options = { wrapNumbers: false } as const;
  const row = plain({
    ...unmarshall(keys as Record<string, AttributeValue>, options),
    ...unmarshall(image as Record<string, AttributeValue>, options),
  }) as FlatRow;
  // Reactions, members and presence have no roomId attribute: their room is their partition.
  const pk = typeof row[ATTR.pk] === 'string' ? (row[ATTR.pk] as string) : '';
  if (row.roomId === undefined && pk.startsWith(KEYS.roomPk('')))
    row.roomId = pk.slice(KEYS.roomPk('').length);
  return row;
}

export function flattenRecords(records: readonly DynamoDBRecord[]): FlatRow[] {
  return flattenWithSources(records).rows;
}

/** The rows, and for each row the stream record it came from (to report that record as failed). */
export function flattenWithSources(records: readonly DynamoDBRecord[]): {
  rows: FlatRow[];
  sources: DynamoDBRecord[];
} {
  const rows: FlatRow[] = [];
  const sources: DynamoDBRecord[] = [];
  for (const record of records) {
    const row = flattenRecord(record);
    if (row === undefined) continue;
    rows.push(row);
    sources.push(record);
  }
  return { rows, sources };
}

/** Some rows were still rejected after every attempt; rows before `undeliveredFrom` were all delivered. */
export class FirehoseDeliveryError extends Error {
  override name = 'FirehoseDeliveryError';
  constructor(
    message: string,
    readonly undeliveredFrom: number,
    readonly sent: number,
  ) {
    super(message);
  }
}

/** Firehose's PutRecordBatch limits. */
const MAX_RECORDS = 500;
const MAX_BYTES = 4 * 1024 * 1024;

function batches(rows: readonly FlatRow[]): Buffer[][] {
  const out: Buffer[][] = [];
  let current: Buffer[] = [];
  let bytes = 0;
  for (const row of rows) {
    const data = Buffer.from(`${JSON.stringify(row)}\n`);
    if (current.length > 0 && (current.length >= MAX_RECORDS || bytes + data.length > MAX_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(data);
    bytes += data.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Sends rows in PutRecordBatch calls (in order), retrying only the records Firehose reports as failed. Throws a
 * FirehoseDeliveryError when some still fail after `attempts`, naming the first row of the batch that failed
 * (the stream handler reports that row's record, so Lambda retries from there).
 */
export async function sendToFirehose(
  client: FirehoseClient,
  streamName: string,
  rows: readonly FlatRow[],
  options: { attempts?: number; retryBaseMs?: number } = {},
): Promise<{ sent: number; calls: number }> {
  const attempts = options.attempts ?? 4;
  let sent = 0;
  let calls = 0;
  let firstRow = 0;
  for (const batch of batches(rows)) {
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= attempts) {
        throw new FirehoseDeliveryError(
          `Firehose rejected ${pending.length} records of ${rows.length} after ${attempts} attempts`,
          firstRow,
          sent,
        );
      }
      if (attempt > 0) await sleep(backoffMs(attempt - 1, options.retryBaseMs ?? 100));
      calls++;
      const result = await client.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: streamName,
          Records: pending.map((Data) => ({ Data })),
        }),
      );
      const responses = result.RequestResponses ?? [];
      const failed = pending.filter((_, i) => responses[i]?.ErrorCode);
      sent += pending.length - failed.length;
      pending = (result.FailedPutCount ?? 0) > 0 ? failed : [];
    }
    firstRow += batch.length;
  }
  return { sent, calls };
}
