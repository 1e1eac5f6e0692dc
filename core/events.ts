/**
 * The chat event contract: what other services receive when something happens in a room (docs/events.md).
 * Versioned: a change that could break a consumer is a new `version` (and a new schema file); adding an
 * optional field is not. The same events come from the stacks' EventBridge bus and the sandbox's local bus.
 * `docs/chat-events.v1.schema.json` is this schema as JSON Schema (a test keeps it equal to chatEventJsonSchema()).
 */
import { z } from 'zod';

export const CHAT_EVENT_VERSION = 1;

/** Every event type, as EventBridge's `detail-type` and the local bus's `type`. */
export const CHAT_EVENT_TYPES = [
  'chat.message.sent',
  'chat.reply.sent',
  'chat.reaction.added',
  'chat.reaction.removed',
  'chat.notice.pinned',
  'chat.member.joined',
  'chat.member.left',
] as const;
export type ChatEventType = (typeof CHAT_EVENT_TYPES)[number];

const text = z.string().min(1);
const epochMs = z.int().min(0).describe('epoch milliseconds');

/** Fields every event has. */
const envelope = {
  version: z.literal(CHAT_EVENT_VERSION),
  /** Unique per event: the stream record's id (a redelivery carries the same id, so consumers can drop it). */
  id: text,
  /** The region key where it happened: each event is published once, there. */
  region: z.string().regex(/^[a-z][a-z0-9]{1,11}$/),
  roomId: text,
  /** When it happened (the item's own time: sentAt, at, setAt, joinedAt), epoch ms. */
  at: epochMs,
};

const message = { messageId: text, userId: text, text: z.string(), clientMsgId: z.string().optional() };
const reaction = { messageId: text, emoji: text, userId: text };
const member = { userId: text, connectionId: text };

export const chatEventSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('chat.message.sent'), ...envelope, ...message }),
  z.strictObject({ type: z.literal('chat.reply.sent'), ...envelope, ...message, parentId: text }),
  z.strictObject({ type: z.literal('chat.reaction.added'), ...envelope, ...reaction }),
  z.strictObject({ type: z.literal('chat.reaction.removed'), ...envelope, ...reaction }),
  z.strictObject({ type: z.literal('chat.notice.pinned'), ...envelope, userId: text, text: z.string() }),
  z.strictObject({ type: z.literal('chat.member.joined'), ...envelope, ...member }),
  z.strictObject({ type: z.literal('chat.member.left'), ...envelope, ...member }),
]);
export type ChatEvent = z.infer<typeof chatEventSchema>;

/** The event as JSON Schema (draft 2020-12), for consumers in any language. */
export function chatEventJsonSchema(): Record<string, unknown> {
  return {
    ...(z.toJSONSchema(chatEventSchema) as Record<string, unknown>),
    $id: `chatctl/chat-events.v${CHAT_EVENT_VERSION}.json`,
    title: `chatctl chat event, version ${CHAT_EVENT_VERSION}`,
  };
}

/** Checks an event against the contract; the error names the field. */
export function parseChatEvent(value: unknown): ChatEvent {
  return chatEventSchema.parse(value);
}

export function isChatEventType(value: string): value is ChatEventType {
  return (CHAT_EVENT_TYPES as readonly string[]).includes(value);
}

/** The item types whose writes are chat events (the `type` attribute the runtime writes on each). */
export const EVENT_ITEM_TYPES = ['message', 'reaction', 'notice', 'presence'] as const;

/**
 * How a region tells its own writes from replicated copies, as EventBridge Pipes filter patterns (OR'ed) over
 * that region's stream records. A Global Table's stream shows every write, local or replicated, with nothing
 * in the record to say which; so the runtime stamps every item that becomes an event with `region`, the
 * region key where the user acted (a presence copy written by another region keeps the joining region's key).
 * A record passes only in that region. TTL deletions (userIdentity set) happen in every replica: never events.
 * runtime/events/map.ts applies the same rule (and decides the event type) on whatever passes.
 */
export function eventFilterPatterns(regionKey: string): Record<string, unknown>[] {
  const own = (image: 'NewImage' | 'OldImage', types: readonly string[]) => ({
    [image]: { region: { S: [regionKey] }, type: { S: [...types] } },
  });
  const notTtl = { userIdentity: { type: [{ exists: false }] } };
  return [
    { eventName: ['INSERT', 'MODIFY'], dynamodb: own('NewImage', EVENT_ITEM_TYPES), ...notTtl },
    { eventName: ['REMOVE'], dynamodb: own('OldImage', ['presence']), ...notTtl },
  ];
}
