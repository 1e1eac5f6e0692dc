/**
 * The local bus's subscription endpoint on the edge: `GET /_chatctl/events`, for `chatctl events tail` and any
 * local program (docs/events.md). The edge has checked the sandbox's secret and the Host before this runs.
 *
 *   ?after=<seq>|earliest  the cursor: events after it (default: from now on)
 *   ?type=<t>[,<t>...]     only these event types; ?room=<id>, ?region=<key> likewise
 *   ?follow=1              keep the response open and write each new event as it is published
 *   ?limit=<n>             without follow: at most n events (default 1000, at most 10000)
 *
 * The answer is JSON lines, `{"seq":N,"event":{...}}`, oldest first; without follow the header
 * `x-chatctl-next` is the cursor to pass next.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CHAT_EVENT_TYPES, type ChatEventType, isChatEventType } from '../../../core/events.js';
import { type BusEntry, type BusFilter, CursorExpiredError, type EventBus, matches } from './bus.js';

const MAX_LIMIT = 10_000;

class BadQuery extends Error {}

interface EventsQuery {
  readonly after: number;
  readonly filter: BusFilter;
  readonly follow: boolean;
  readonly limit: number;
}

function parseQuery(params: URLSearchParams, bus: EventBus, oldest: number): EventsQuery {
  const afterText = params.get('after');
  let after = bus.head;
  if (afterText === 'earliest') after = oldest - 1;
  else if (afterText !== null) {
    if (!/^\d{1,15}$/.test(afterText)) throw new BadQuery('after must be a seq number or "earliest"');
    after = Number(afterText);
  }
  const types: ChatEventType[] = [];
  for (const type of (params.get('type') ?? '').split(',').filter(Boolean)) {
    if (!isChatEventType(type)) {
      throw new BadQuery(`unknown event type "${type}"; one of: ${CHAT_EVENT_TYPES.join(', ')}`);
    }
    types.push(type);
  }
  const limitText = params.get('limit') ?? '1000';
  if (!/^\d{1,6}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_LIMIT) {
    throw new BadQuery(`limit must be 1-${MAX_LIMIT}`);
  }
  const room = params.get('room');
  const region = params.get('region');
  return {
    after,
    filter: { types, ...(room ? { roomId: room } : {}), ...(region ? { region } : {}) },
    follow: params.get('follow') === '1' || params.get('follow') === 'true',
    limit: Number(limitText),
  };
}

function fail(res: ServerResponse, status: number, error: string, hint?: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error, ...(hint ? { hint } : {}) }));
}

const line = (entry: BusEntry) => `${JSON.stringify({ seq: entry.seq, event: entry.event })}\n`;

/** Answers one request of the endpoint; `open` tracks followers so the sandbox can end them on stop. */
export function serveEvents(
  bus: EventBus,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  open: Set<ServerResponse>,
): void {
  if (req.method !== 'GET') {
    fail(res, 405, 'the events endpoint answers GET only');
    return;
  }
  let query: EventsQuery;
  let backlog: BusEntry[];
  try {
    query = parseQuery(url.searchParams, bus, bus.oldest);
    backlog = bus.read(query.after, query.filter, query.follow ? Number.POSITIVE_INFINITY : query.limit);
  } catch (error) {
    if (error instanceof BadQuery) fail(res, 400, error.message);
    else if (error instanceof CursorExpiredError) {
      fail(res, 410, error.message, 'start again from ?after=earliest (some events were missed)');
    } else throw error;
    return;
  }
  if (!query.follow) {
    const next = backlog.length === query.limit ? backlog[backlog.length - 1].seq : bus.head;
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-chatctl-next': String(next) });
    res.end(backlog.map(line).join(''));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  res.flushHeaders();
  // The backlog and the subscription are taken in one synchronous step: no event falls between them.
  for (const entry of backlog) res.write(line(entry));
  const stop = bus.subscribe((entry) => {
    if (matches(entry.event, query.filter)) res.write(line(entry));
  });
  open.add(res);
  res.on('close', () => {
    stop();
    open.delete(res);
  });
}
