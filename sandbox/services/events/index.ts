/**
 * The local event bus (docs/events.md): each region's stream -> the pipe's filter (core/events.ts's
 * eventFilterPatterns, the very patterns the stacks give each region's EventBridge pipe, evaluated by
 * core/event-pattern.ts) -> the pipe's enrichment (runtime/events/map.ts) -> one bus with an archive, which
 * `chatctl events tail` and local programs follow through the edge's `/_chatctl/events` (./http.ts).
 * Not an AWS API: the edge routes no SigV4 request here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamoDBRecord } from 'aws-lambda';
import { type EventPattern, matchesAnyEventPattern } from '../../../core/event-pattern.js';
import { eventFilterPatterns } from '../../../core/events.js';
import { chatEventOf } from '../../../runtime/events/map.js';
import type { ServiceFactory } from '../definition.js';
import type { PartNeed, SandboxParts } from '../parts.js';
import type { SandboxService } from '../service.js';
import { DEFAULT_RETENTION, EventBus } from './bus.js';
import { serveEvents } from './http.js';

export class EventsService implements SandboxService {
  readonly name = 'chatctl-events';
  readonly bus: EventBus;
  private stopTap?: () => void;
  private readonly followers = new Set<ServerResponse>();
  private readonly filters = new Map<string, readonly EventPattern[]>();

  constructor(
    private readonly streams: SandboxParts['streams'],
    retention = DEFAULT_RETENTION,
  ) {
    this.bus = new EventBus(retention);
  }

  async start(): Promise<void> {
    this.stopTap = this.streams.tap((regionKey, raw) => {
      const record = asPipeRecord(raw as DynamoDBRecord);
      if (!matchesAnyEventPattern(this.filterOf(regionKey), record)) return;
      const event = chatEventOf(record, regionKey);
      if (event) this.bus.publish(event);
    });
  }

  private filterOf(regionKey: string): readonly EventPattern[] {
    let patterns = this.filters.get(regionKey);
    if (!patterns) {
      patterns = eventFilterPatterns(regionKey);
      this.filters.set(regionKey, patterns);
    }
    return patterns;
  }

  /** The endpoint (the edge calls it for `/_chatctl/events`, after its secret and Host checks). */
  serve(req: IncomingMessage, res: ServerResponse, url: URL): void {
    serveEvents(this.bus, req, res, url, this.followers);
  }

  async stop(): Promise<void> {
    this.stopTap?.();
    for (const res of this.followers) res.end();
    this.followers.clear();
  }
}

/**
 * A stream record as a pipe sees it: the DynamoDB Streams API names the identity's fields `Type` and
 * `PrincipalId`, the events Pipes and Lambda receive `type` and `principalId` (what the filter names).
 */
export function asPipeRecord(record: DynamoDBRecord): DynamoDBRecord {
  const identity = record.userIdentity as Record<string, unknown> | undefined;
  if (!identity) return record;
  return {
    ...record,
    userIdentity: {
      type: identity.type ?? identity.Type,
      principalId: identity.principalId ?? identity.PrincipalId,
    },
  };
}

/** It reads every region's stream. */
export type EventsNeeds = { streams: PartNeed<'streams'> };

export const createService: ServiceFactory<EventsService, EventsNeeds> = (_context, { streams }) =>
  new EventsService(streams);
