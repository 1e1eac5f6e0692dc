/**
 * The planner's per-route cost table: what one operation makes the runtime do, by region. Every figure
 * here was counted by the runtime's own instrumentation (meter.ts) against the sandbox by
 * `chatctl capacity --calibrate`, not read off the code; test/cli/ops/capacity/calibrate.test.ts runs the
 * same operations on a sandbox and fails when the code and this table part. When a runtime change moves a
 * count, re-run the calibration and update the table (and the date below).
 */
import { LIMITS } from '../../../core/protocol.js';

/** What one operation costs in one region. */
export interface RegionCost {
  /** Requests per operation, e.g. `dynamodb:Query`, `apigateway:PostToConnection`, `lambda:Invoke`. */
  readonly calls: Readonly<Record<string, number>>;
  /** DynamoDB write request units (a transactional write is 2 per KB of each item). */
  readonly writeUnits: number;
  /** DynamoDB read request units (eventually consistent 0.5 per 4 KB, strongly consistent 1). */
  readonly readUnits: number;
  /** Items written: each becomes one replicated write in every other replica. */
  readonly itemsWritten: number;
  /** Bytes of the items written (what replication carries to every other region). */
  readonly itemBytes: number;
  /** Bytes of the items read. */
  readonly readBytes: number;
  /** Bytes of every @connections post together. */
  readonly postBytes: number;
  /** Bytes of every relay Invoke payload together (they cross regions). */
  readonly invokeBytes: number;
}

export const ZERO_COST: RegionCost = {
  calls: {},
  writeUnits: 0,
  readUnits: 0,
  itemsWritten: 0,
  itemBytes: 0,
  readBytes: 0,
  postBytes: 0,
  invokeBytes: 0,
};

/**
 * Sizes measured by the calibration (ids of the lengths it uses: room ids of about 20 characters, user ids
 * of 12, the sandbox's connection ids); a message adds its text's UTF-8 bytes to those marked "+ text".
 */
export const MEASURED_BYTES = {
  /** A presence item (a connection in a room), as a Query reads it. */
  presenceItem: 198,
  /** The `message` frame posted to each member, + text. */
  messageFrame: 287,
  /** The sender's `ack` frame. */
  ackFrame: 146,
  /** The relay Invoke payload (the frame and the message, so the text twice), + 2 x text. */
  relayPayload: 714,
  /** The item a send writes (the message), + text. */
  sendItems: 258,
  /** The query after the write (the presence epoch and the previous message), as read. */
  epochRead: 479,
  /** A stored message as a history Query reads it, + text. */
  storedMessage: 289,
  /** A message inside a `joined` or `history` frame, + text. */
  historyMessage: 206,
  /** A `joined` / `history` frame without its messages. */
  historyFrame: 87,
  /** The relay's dedupe marker in the receiving region. */
  relayMarker: 100,
  /** The connection item $connect writes. */
  connectionItem: 176,
  /** The presence and member items a join writes, and the key of the connection it updates. */
  joinItems: 397,
  /** What a join relayed to another region writes there (a transaction of 3 items). */
  joinRelayItems: 267,
  /** The join's relay payload to each other region. */
  joinRelayPayload: 211,
  /** What the join relay reads in that region. */
  joinRelayRead: 1943,
  /** The keys $disconnect deletes (connection and one presence). */
  disconnectKeys: 89,
} as const;

/**
 * Handler durations measured on the sandbox by the calibration (mean, warm, in-process engines), ms. A send
 * is its base plus a share per @connections post (from the room-of-10 and room-of-100 runs of
 * `npm run bench -- sandbox`: 11.3 and 41.5 ms), plus the Invoke's network time to each region it relays
 * to. On AWS each call also crosses the network: measure your own with CloudWatch's Duration and pass it
 * as `capacity.routeMs` in chatctl.json.
 */
export const MEASURED_MS = {
  sendBase: 5.8,
  sendPerPost: 0.34,
  relayBase: 5,
  relayPerPost: 0.34,
  connect: 1.5,
  join: 8,
  history: 4,
  disconnect: 4.5,
} as const;

/** When the figures above were measured, and how to measure them again. */
export const MEASURED_WITH = {
  date: '2026-12-01 (after issue 13: ordered sends, relayed joins; a lone send records no order)',
  command: 'chatctl capacity --calibrate',
  machine: 'the sandbox on a shared 2-core machine (DynamoDB Local, in-process transport)',
} as const;

const writeUnits = (bytes: number, transactional = false) =>
  Math.max(1, Math.ceil(bytes / 1024)) * (transactional ? 2 : 1);
const readUnits = (bytes: number, consistent = false) =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

/** A send: who is in the room, where. */
export interface SendShape {
  /** Members in the sender's region, the sender included. */
  readonly localMembers: number;
  /** Other regions with members in the room (each gets one relay Invoke). */
  readonly remoteRegions: number;
  /** Members in each of those regions. */
  readonly membersPerRemoteRegion: number;
  readonly textBytes: number;
}

export interface SendCost {
  /** In the sender's region. */
  readonly origin: RegionCost;
  /** In each region the message is relayed to. */
  readonly perRemoteRegion: RegionCost;
}

/** One `send` (and the relay it causes in each other region with members). */
export function sendCost(shape: SendShape): SendCost {
  const { localMembers, remoteRegions, membersPerRemoteRegion, textBytes } = shape;
  const members = localMembers + remoteRegions * membersPerRemoteRegion;
  const frame = MEASURED_BYTES.messageFrame + textBytes;
  const messageItem = MEASURED_BYTES.storedMessage + textBytes;
  const presenceRead = members * MEASURED_BYTES.presenceItem;
  const origin: RegionCost = {
    calls: {
      // The room's presence, then after the write the presence epoch and the previous message.
      'dynamodb:Query': 2,
      // The message. A send the client marks `more` (one may follow before its ack) also records itself
      // pushed on the sender's presence item (an UpdateItem, 1 write unit); a lone send does not.
      'dynamodb:PutItem': 1,
      // The ack, then the message to every local member (the sender too).
      'apigateway:PostToConnection': 1 + localMembers,
      ...(remoteRegions > 0 ? { 'lambda:Invoke': remoteRegions } : {}),
    },
    writeUnits: writeUnits(messageItem),
    // The presence query (eventually consistent) and the consistent one after the write.
    readUnits: readUnits(presenceRead) + readUnits(MEASURED_BYTES.epochRead, true),
    itemsWritten: 1,
    itemBytes: MEASURED_BYTES.sendItems + textBytes,
    readBytes: presenceRead + MEASURED_BYTES.epochRead,
    postBytes: MEASURED_BYTES.ackFrame + localMembers * frame,
    invokeBytes: remoteRegions * (MEASURED_BYTES.relayPayload + 2 * textBytes),
  };
  const remoteRead = membersPerRemoteRegion * MEASURED_BYTES.presenceItem;
  const perRemoteRegion: RegionCost =
    remoteRegions === 0
      ? ZERO_COST
      : {
          calls: {
            // The dedupe marker (a conditional put), then this region's members in the room.
            'dynamodb:PutItem': 1,
            'dynamodb:Query': 1,
            'apigateway:PostToConnection': membersPerRemoteRegion,
          },
          writeUnits: writeUnits(MEASURED_BYTES.relayMarker),
          readUnits: readUnits(remoteRead),
          itemsWritten: 1,
          itemBytes: MEASURED_BYTES.relayMarker,
          readBytes: remoteRead,
          postBytes: membersPerRemoteRegion * frame,
          invokeBytes: 0,
        };
  return { origin, perRemoteRegion };
}

/** A new connection ($connect; the load level is cached per handler instance). */
export function connectCost(): RegionCost {
  return {
    ...ZERO_COST,
    calls: { 'dynamodb:PutItem': 1 },
    writeUnits: 1,
    itemsWritten: 1,
    itemBytes: MEASURED_BYTES.connectionItem,
  };
}

/** Messages a join or a history page carries, and what reading them costs. */
function historyPage(messages: number, textBytes: number, consistent = false) {
  const bytes = messages * (MEASURED_BYTES.storedMessage + textBytes);
  return {
    readUnits: readUnits(bytes, consistent),
    readBytes: bytes,
    postBytes: MEASURED_BYTES.historyFrame + messages * (MEASURED_BYTES.historyMessage + textBytes),
  };
}

/**
 * A join of a room whose recent history holds `historyMessages` (at most the join page, 50), in a topology of
 * `regions` regions: the join is relayed to every other region before `joined` (joinRelayCost there).
 */
export function joinCost(
  historyMessages: number = LIMITS.joinHistory,
  textBytes = 100,
  regions = 3,
): RegionCost {
  // The joined page is a consistent read: it must hold a message written just before the join.
  const page = historyPage(Math.min(historyMessages, LIMITS.joinHistory), textBytes, true);
  const others = regions - 1;
  return {
    calls: {
      // The connection (strongly consistent) and the notice; the history page.
      'dynamodb:GetItem': 2,
      'dynamodb:Query': 1,
      'dynamodb:UpdateItem': 1,
      'dynamodb:PutItem': 1,
      // Presence, member and epoch items in one transaction.
      'dynamodb:TransactWriteItems': 1,
      ...(others > 0 ? { 'lambda:Invoke': others } : {}),
      'apigateway:PostToConnection': 1,
    },
    writeUnits: 2 + 3 * 2,
    // Connection (consistent: 1) + notice (0.5) + the history page.
    readUnits: 1.5 + page.readUnits,
    itemsWritten: 5,
    itemBytes: MEASURED_BYTES.joinItems,
    readBytes: MEASURED_BYTES.connectionItem + page.readBytes,
    postBytes: page.postBytes,
    invokeBytes: others * MEASURED_BYTES.joinRelayPayload,
  };
}

/** What one join costs each other region (its relay records the member there). */
export function joinRelayCost(): RegionCost {
  return {
    ...ZERO_COST,
    calls: { 'dynamodb:TransactWriteItems': 1, 'dynamodb:Query': 1 },
    writeUnits: 6,
    // Consistent, as the joined page is.
    readUnits: readUnits(MEASURED_BYTES.joinRelayRead, true),
    itemsWritten: 3,
    itemBytes: MEASURED_BYTES.joinRelayItems,
    readBytes: MEASURED_BYTES.joinRelayRead,
  };
}

/** One page of history (the default page is 50 messages). */
export function historyCost(messages: number = LIMITS.historyPageDefault, textBytes = 100): RegionCost {
  const page = historyPage(messages, textBytes);
  return {
    ...ZERO_COST,
    calls: { 'dynamodb:GetItem': 1, 'dynamodb:Query': 1, 'apigateway:PostToConnection': 1 },
    readUnits: 0.5 + page.readUnits,
    readBytes: MEASURED_BYTES.presenceItem + page.readBytes,
    postBytes: page.postBytes,
  };
}

/** A connection closes ($disconnect) after joining `rooms` rooms. */
export function disconnectCost(rooms = 1): RegionCost {
  return {
    ...ZERO_COST,
    calls: { 'dynamodb:GetItem': 1, 'dynamodb:DeleteItem': 1 + rooms },
    writeUnits: 1 + rooms,
    readUnits: 1,
    itemsWritten: 1 + rooms,
    itemBytes: MEASURED_BYTES.disconnectKeys + (rooms - 1) * 50,
    readBytes: MEASURED_BYTES.connectionItem + 23 * rooms,
  };
}

/** Handler durations the planner uses, ms; `networkMs` is the Invoke's time to each relayed region. */
export function sendMs(posts: number, networkMs: number): number {
  return MEASURED_MS.sendBase + MEASURED_MS.sendPerPost * posts + networkMs;
}

/** A join waits for its relay to every other region: `networkMs` is the slowest round trip. */
export function joinMs(networkMs: number): number {
  return MEASURED_MS.join + networkMs;
}

export function relayMs(posts: number): number {
  return MEASURED_MS.relayBase + MEASURED_MS.relayPerPost * posts;
}
