/**
 * The analytics pipeline the stacks deploy, on this machine (docs/analytics.md): the home region's stream ->
 * the runtime's flattener (runtime/analytics/stream.ts) -> a Firehose-like buffer (the topology's size, and
 * on the sandbox's time scale an interval of a few seconds) -> GZIP'd JSON lines under the same
 * `events/year=/month=/day=/hour=` prefixes, and the same error prefix, in `<state folder>/analytics/`, the
 * local bucket `chatctl analytics query` reads with DuckDB. Not an AWS API: the edge routes nothing here.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { DynamoDBRecord } from 'aws-lambda';
import {
  ANALYTICS_ERROR_PREFIX,
  ANALYTICS_PREFIX,
  analyticsBuffer,
  expandPrefix,
  SANDBOX_BUFFER_SECONDS,
} from '../../../core/analytics.js';
import { names } from '../../../core/names.js';
import { writeFileAtomic } from '../../../core/topology.js';
import { flattenRecord } from '../../../runtime/analytics/stream.js';
import type { ServiceFactory } from '../definition.js';
import type { PartNeed, SandboxParts } from '../parts.js';
import type { SandboxService, ServiceContext } from '../service.js';

const gzip = promisify(gzipCallback);

/** The local bucket's folder under the sandbox's state folder. */
export const analyticsDir = (filesDir: string) => join(filesDir, 'analytics');

interface Batch {
  lines: string[];
  bytes: number;
  /** The oldest row's arrival: Firehose names the object and its hour folder by it. */
  firstAt: Date;
}

/** Firehose's object name: `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>`, with .gz under GZIP. */
function objectName(stream: string, at: Date): string {
  const stamp = at.toISOString().slice(0, 19).replace(/[T:]/g, '-');
  return `${stream}-1-${stamp}-${randomUUID()}.gz`;
}

export class AnalyticsService implements SandboxService {
  readonly name = 'chatctl-analytics';
  private readonly batches = { rows: undefined as Batch | undefined, errors: undefined as Batch | undefined };
  private timer?: NodeJS.Timeout;
  private stopTap?: () => void;
  private writing: Promise<void> = Promise.resolve();
  /** Objects written so far (rows and error objects). */
  written = 0;

  constructor(
    private readonly context: ServiceContext,
    private readonly streams: SandboxParts['streams'],
    readonly dir: string,
  ) {}

  private get intervalMs(): number {
    const topology = this.context.topology();
    return (topology.sandbox.analyticsBufferSeconds ?? SANDBOX_BUFFER_SECONDS) * 1000;
  }

  private get sizeBytes(): number {
    return analyticsBuffer(this.context.topology()).sizeMiB * 1024 * 1024;
  }

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.stopTap = this.streams.tap((regionKey, record) => {
      // The stacks read the home replica's stream: every region's writes, each once.
      if (regionKey !== this.context.topology().homeRegion) return;
      this.take(record as DynamoDBRecord);
    });
  }

  private take(record: DynamoDBRecord): void {
    let line: string;
    let kind: 'rows' | 'errors' = 'rows';
    try {
      const row = flattenRecord(record);
      if (row === undefined) return;
      line = JSON.stringify(row);
    } catch (error) {
      // What Firehose writes under the error prefix: the record, base64, and why it failed.
      kind = 'errors';
      line = JSON.stringify({
        rawData: Buffer.from(JSON.stringify(record)).toString('base64'),
        errorCode: 'Processor.Failed',
        errorMessage: (error as Error).message,
        approximateArrivalTimestamp: Date.now(),
      });
    }
    const batch = this.batches[kind] ?? { lines: [], bytes: 0, firstAt: new Date() };
    this.batches[kind] = batch;
    batch.lines.push(line);
    batch.bytes += Buffer.byteLength(line) + 1;
    if (batch.bytes >= this.sizeBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Writes what is buffered now (in the background, one write after another); resolves when written. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const { rows, errors } = this.batches;
    this.batches.rows = undefined;
    this.batches.errors = undefined;
    const stream = names.firehoseStream(this.context.topology());
    for (const [batch, prefix] of [
      [rows, ANALYTICS_PREFIX],
      [errors, ANALYTICS_ERROR_PREFIX],
    ] as const) {
      if (!batch) continue;
      this.writing = this.writing.then(() => this.write(batch, prefix, stream));
    }
    return this.writing;
  }

  private async write(batch: Batch, prefix: string, stream: string): Promise<void> {
    try {
      const folder = join(this.dir, expandPrefix(prefix, batch.firstAt));
      await mkdir(folder, { recursive: true, mode: 0o700 });
      const body = await gzip(Buffer.from(`${batch.lines.join('\n')}\n`));
      await writeFileAtomic(join(folder, objectName(stream, batch.firstAt)), body, 0o600);
      this.written++;
    } catch (error) {
      this.context.onError(error as Error, 'writing an analytics object');
    }
  }

  async stop(): Promise<void> {
    this.stopTap?.();
    await this.flush();
  }
}

/** Runs when the sandbox has a state folder to keep the local bucket in. */
export interface AnalyticsOptions {
  /**
   * The folder services keep files in (the pipeline's local bucket is `<filesDir>/analytics`). The Sandbox
   * gives the folder of its statePath (.chatctl) when none is given; neither: no analytics pipeline.
   */
  readonly filesDir?: string;
}

/** It reads the home region's stream. */
export type AnalyticsNeeds = { streams: PartNeed<'streams'> };

export const createService: ServiceFactory<AnalyticsService, AnalyticsNeeds, AnalyticsOptions> = (
  context,
  { streams },
  { filesDir },
) => (filesDir ? new AnalyticsService(context, streams, analyticsDir(filesDir)) : undefined);
