/** Keys of the single chat table (docs/architecture.md, Data model). Runtime, sandbox and CLI all build keys here. */

export const ATTR = {
  pk: 'pk',
  sk: 'sk',
  /** Epoch seconds; DynamoDB's TTL attribute. */
  ttl: 'expiresAt',
} as const;

export const keys = {
  roomPk: (roomId: string) => `ROOM#${roomId}`,
  messageSk: (messageId: string) => `MSG#${messageId}`,
  /**
   * One user's emoji on a message: its own item, so concurrent reactions from any regions never overwrite
   * each other under last-writer-wins. It sorts right after its message, so a page's Query reads both.
   */
  reactionSk: (messageId: string, emoji: string, userId: string) => `MSG#${messageId}#R#${emoji}#${userId}`,
  /**
   * The emoji one user claimed on a message in one region (a string set), one conditional update per add, so
   * that concurrent adds in that region cannot pass the per-user cap (docs/protocol.md, Sizes). Only that
   * region writes it (last-writer-wins never mixes two regions' claims). Outside `MSG#`: pages never read it.
   */
  reactionCapSk: (messageId: string, userId: string, region: string) =>
    `RCAP#${messageId}#${userId}#${region}`,
  noticeSk: 'NOTICE',
  memberSk: (userId: string) => `MEMBER#${userId}`,
  presenceSk: (region: string, connectionId: string) => `CONN#${region}#${connectionId}`,
  /**
   * A region's presence epoch in a room, bumped by every join that region records (its own or one relayed
   * from another region). Only that region writes it. It sorts inside the presence range, so the send's
   * presence Query reads it, and the send's write is conditioned on it (docs/protocol.md, Joins).
   */
  presenceEpochSk: (region: string) => `CONN#${region}`,
  /**
   * The same epoch again, sorting above every message (`~` follows every id character), bumped in the same
   * transaction: the send's one Query after its write reads it together with the newest messages (prevId).
   */
  messageEpochSk: (region: string) => `MSG#~EPOCH#${region}`,
  connectionPk: (region: string, connectionId: string) => `CONN#${region}#${connectionId}`,
  connectionSk: 'META',
  /** A send's idempotency record: one per room and client message id. */
  clientMsgSk: (userId: string, clientMsgId: string) => `CMID#${userId}#${clientMsgId}`,
  configPk: 'CONFIG',
  loadSk: (region: string) => `LOAD#${region}`,
  /** Cognito's signing keys as $connect last fetched them, per JWKS URI, replicated to every region. */
  jwksSk: (jwksUri: string) => `JWKS#${jwksUri}`,
  /** Replication canaries written by `chatctl replication check`; they expire and never show in chat. */
  canaryPk: 'CANARY',
  canarySk: (source: string, id: string) => `CANARY#${source}#${id}`,
  /** Health-check item each region writes to prove its replica takes writes. */
  healthPk: 'HEALTH',
  healthSk: (region: string) => `PROBE#${region}`,
  /** A relay's dedupe marker in the receiving region: one per relayed frame; it expires. */
  relaySk: (region: string, relayId: string) => `RELAY#${region}#${relayId}`,
} as const;

/**
 * The sort-key range holding exactly the keys that start with `prefix` (every key above is ASCII after its
 * prefix), for a Query's `#sk BETWEEN :lo AND :hi`. On DynamoDB it reads the same items as begins_with, and as
 * cheaply; DynamoDB Local, though, answers begins_with by scanning the whole partition (a room's entire
 * history on every send) and a BETWEEN through its index.
 */
export function prefixRange(prefix: string): { readonly lo: string; readonly hi: string } {
  return { lo: prefix, hi: `${prefix}\u{10FFFF}` };
}

export const PREFIX = {
  message: 'MSG#',
  presence: 'CONN#',
  member: 'MEMBER#',
  /** Presence of one region's connections in a room: `CONN#<region>#`. */
  presenceOf: (region: string) => `CONN#${region}#`,
  relay: 'RELAY#',
  clientMsg: 'CMID#',
  reactionCap: 'RCAP#',
  /** A message's reaction items: `MSG#<messageId>#R#`. */
  reactionsOf: (messageId: string) => `MSG#${messageId}#R#`,
} as const;

/** Connections and presence expire after API Gateway's 2 h maximum connection time, plus slack. */
export const CONNECTION_TTL_SECONDS = 2 * 60 * 60 + 15 * 60;

/**
 * The chat table's shape, as plain data (no SDK types here): the CDK Global Table, the sandbox's replicas and
 * the tests all create it from this.
 */
export const CHAT_TABLE_SHAPE = {
  partitionKey: ATTR.pk,
  sortKey: ATTR.sk,
  ttlAttribute: ATTR.ttl,
  streamView: 'NEW_AND_OLD_IMAGES',
} as const;
