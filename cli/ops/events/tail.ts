/**
 * Following the sandbox's local event bus (`chatctl events tail`): the edge's `/_chatctl/events` endpoint with
 * the sandbox's secret (sandbox/services/events/http.ts), JSON lines read as they come.
 */
import { UserError } from '../../../core/errors.js';
import type { ChatEvent, ChatEventType } from '../../../core/events.js';
import { CONTROL_SECRET_HEADER } from '../../../sandbox/access.js';
import { CONTROL_PREFIX, EVENTS_PATH } from '../../../sandbox/control-api.js';
import type { SandboxState } from '../../../sandbox/state.js';

export interface BusLine {
  readonly seq: number;
  readonly event: ChatEvent;
}

export interface TailOptions {
  readonly types?: readonly ChatEventType[];
  readonly roomId?: string;
  readonly region?: string;
  /** Where to start: after this seq, `earliest` (the whole archive), or now (undefined). */
  readonly after?: number | 'earliest';
  /** Keep following (false: print what the archive has after the cursor, then end). */
  readonly follow: boolean;
}

export function eventsUrl(state: Pick<SandboxState, 'edge'>, options: TailOptions): string {
  const params = new URLSearchParams();
  if (options.after !== undefined) params.set('after', String(options.after));
  if (options.types?.length) params.set('type', options.types.join(','));
  if (options.roomId) params.set('room', options.roomId);
  if (options.region) params.set('region', options.region);
  if (options.follow) params.set('follow', '1');
  else params.set('limit', '10000');
  return `${state.edge}${CONTROL_PREFIX}${EVENTS_PATH}?${params}`;
}

/** Reads the bus, calling `onLine` for each event, until the answer ends or `signal` aborts. */
export async function tailEvents(
  state: Pick<SandboxState, 'edge' | 'controlSecret'>,
  options: TailOptions,
  onLine: (line: BusLine) => void,
  signal: AbortSignal,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(eventsUrl(state, options), {
      headers: { [CONTROL_SECRET_HEADER]: state.controlSecret },
      signal,
    });
  } catch (error) {
    if (signal.aborted) return;
    throw new UserError(`the sandbox at ${state.edge} does not answer (${(error as Error).message})`, {
      hint: 'run: chatctl sandbox status',
    });
  }
  if (!response.ok || !response.body) {
    const json = (await response.json().catch(() => ({}))) as { error?: string; hint?: string };
    throw new UserError(json.error ?? `the sandbox answered ${response.status}`, {
      hint: json.hint ?? 'run: chatctl sandbox status',
    });
  }
  const decoder = new TextDecoder();
  let rest = '';
  try {
    for await (const chunk of response.body) {
      rest += decoder.decode(chunk as Uint8Array, { stream: true });
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line) onLine(JSON.parse(line) as BusLine);
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

/** One line for a person: time, region, room, type, who, and what. */
export function formatEvent(event: ChatEvent): string {
  const time = new Date(event.at).toISOString().slice(11, 23);
  const what = (() => {
    switch (event.type) {
      case 'chat.message.sent':
      case 'chat.reply.sent':
      case 'chat.notice.pinned':
        return `${event.userId}: ${event.text}`;
      case 'chat.reaction.added':
      case 'chat.reaction.removed':
        return `${event.userId} ${event.emoji} on ${event.messageId}`;
      default:
        return event.userId;
    }
  })();
  return `${time} ${event.region.padEnd(8)} ${event.roomId.padEnd(12)} ${event.type.padEnd(21)} ${what}`;
}
