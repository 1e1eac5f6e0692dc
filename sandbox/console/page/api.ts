/**
 * The page's only ways out: the sandbox's control API (same origin, under /_chatctl/) and its live stream.
 * The per-sandbox secret comes in the URL's fragment (never sent in a request line or a Referer) and is
 * kept in the page; every control request carries it.
 */
import type { ControlRoutes, ErrorReply } from '../../control-api.js';

const CONTROL = '/_chatctl';
const SECRET_HEADER = 'x-chatctl-secret';

function readSecret(): string {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const secret = fragment.get('secret') ?? sessionStorage.getItem('chatctl-secret') ?? '';
  if (secret) sessionStorage.setItem('chatctl-secret', secret);
  return secret;
}

export const secret = readSecret();

export async function control<R extends keyof ControlRoutes>(
  method: ControlRoutes[R]['method'],
  path: ControlRoutes[R]['path'],
  body?: ControlRoutes[R]['request'],
): Promise<ControlRoutes[R]['reply']> {
  const headers: Record<string, string> = { [SECRET_HEADER]: secret };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${CONTROL}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json().catch(() => ({}))) as ControlRoutes[R]['reply'] & Partial<ErrorReply>;
  if (!response.ok) {
    throw new Error([json.error ?? `HTTP ${response.status}`, json.hint].filter(Boolean).join(': '));
  }
  return json;
}

/** The live stream of snapshots (EventSource sends no headers: the secret goes as a query parameter). */
export function openEvents(onData: (data: string) => void, onState: (live: boolean) => void): EventSource {
  const source = new EventSource(`${CONTROL}/console/events?secret=${encodeURIComponent(secret)}`);
  source.onmessage = (event) => onData(event.data as string);
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  return source;
}
