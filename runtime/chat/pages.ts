/** Pages of messages bounded by count and by bytes, so that the frame carrying one fits API Gateway's limit. */
import type { ChatMessage } from '../../core/protocol.js';
import type { MessagePage } from '../store/chat-store.js';

/**
 * This replica's newest page merged with messages other regions answered a join with (some not replicated
 * here yet): one of each id, the newest `limit` that fit in `maxBytes`, oldest first. `next` names the
 * oldest one returned when older ones may exist.
 */
export function mergePages(
  local: MessagePage,
  remote: readonly ChatMessage[],
  limit: number,
  maxBytes: number,
): MessagePage {
  const byId = new Map<string, ChatMessage>();
  for (const m of remote) if (m && typeof m.messageId === 'string') byId.set(m.messageId, m);
  // This replica's copy wins: its reactions are read with it.
  for (const m of local.messages) byId.set(m.messageId, m);
  const newestFirst = [...byId.values()].sort((a, b) => (a.messageId < b.messageId ? 1 : -1));
  const out: ChatMessage[] = [];
  let bytes = 2;
  for (const m of newestFirst) {
    const size = Buffer.byteLength(JSON.stringify(m)) + 1;
    if (out.length >= limit || (bytes + size > maxBytes && out.length > 0)) break;
    out.push(m);
    bytes += size;
  }
  const oldest = out.at(-1);
  const cut = out.length < newestFirst.length || local.next !== null;
  return { messages: out.reverse(), next: cut && oldest ? oldest.messageId : null };
}
