/**
 * The local event bus (docs/events.md): each region's stream -> the chat events of the writes made in that
 * region (runtime/events/map.ts, the rule the stacks' EventBridge pipe filters by) -> one bus with an archive,
 * which `chatctl events tail` and local programs follow through the edge's `/_chatctl/events` (./http.ts).
 * Not an AWS API: the edge routes no SigV4 request here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DynamoDBRecord } from 'aws-lambda';
import { chatEventOf } from '../../../runtime/events/map.js';
import type { ServiceFactory } from '../definition.js';
import type { SandboxService, ServiceContext } from '../service.js';
import { DEFAULT_RETENTION, EventBus } from './bus.js';
import { serveEvents } from './http.js';

export class EventsService implements SandboxService {
  readonly name = 'events';
  readonly bus: EventBus;
  private stopTap?: () => void;
  private readonly followers = new Set<ServerResponse>();

  constructor(
    private readonly context: ServiceContext,
    retention = DEFAULT_RETENTION,
  ) {
    this.bus = new EventBus(retention);
  }

  async start(): Promise<void> {
    this.stopTap = this.context.streamRecords((regionKey, record) => {
      const event = chatEventOf(record as DynamoDBRecord, regionKey);
      if (event) this.bus.publish(event);
    });
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

export const createService: ServiceFactory<EventsService> = (context) => new EventsService(context);
