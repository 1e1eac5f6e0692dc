/**
 * The relay's receiving end: a frame another region broadcast, posted once to this region's members in the
 * room; or a join recorded in another region, recorded here too (presence and this region's epoch) before
 * it answers with this replica's newest messages (docs/protocol.md, Joins).
 */
import { ID_PATTERN } from '../../core/message-id.js';
import { LIMITS, type ServerFrame } from '../../core/protocol.js';
import { RELAY_MAX_AGE_MS } from '../../core/relay-async.js';
import type { RuntimeConfig } from '../config.js';
import type { PostTarget } from '../notify/connections.js';
import type { RelayedJoin, RelayPayload, RelayResult } from '../notify/relay.js';
import type { PresenceRecord } from '../store/chat-store.js';
import type { ChatServiceDeps } from './deps.js';

const RELAYED_FRAMES = new Set(['message', 'reaction', 'notice']);
const RELAY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const CONNECTION_ID = /^[A-Za-z0-9_=+/-]{1,128}$/;
const USER_ID = /^[^\s]{1,128}$/;
const REGION_KEY = /^[a-z0-9]{2,12}$/;
/** A sender's queued sends relayed at once. */
const MAX_FRAMES = 100;

/** Where a presence is posted: the configured @connections endpoint, the presence's own, or a fallback. */
export function postTarget(
  config: RuntimeConfig,
  presence: PresenceRecord,
  fallback?: string,
): PostTarget | undefined {
  const endpoint = config.managementEndpoint ?? presence.endpoint ?? fallback;
  return endpoint ? { connectionId: presence.connectionId, endpoint } : undefined;
}

function joinProblem(join: RelayedJoin, origin: unknown): string | undefined {
  if (typeof origin !== 'string' || !REGION_KEY.test(origin)) return 'originRegion is missing or invalid';
  if (typeof join.connectionId !== 'string' || !CONNECTION_ID.test(join.connectionId))
    return 'join.connectionId is missing or invalid';
  if (typeof join.userId !== 'string' || !USER_ID.test(join.userId))
    return 'join.userId is missing or invalid';
  if (join.endpoint !== undefined && typeof join.endpoint !== 'string')
    return 'join.endpoint must be a string';
  if (!Number.isFinite(join.joinedAt) || !Number.isFinite(join.expiresAt))
    return 'join.joinedAt and join.expiresAt must be numbers';
  return undefined;
}

/** Why a relayed frame cannot be posted for `roomId`, or undefined. */
function frameProblem(
  roomId: string,
  frame: ServerFrame | undefined,
  messageOnly: boolean,
): string | undefined {
  if (typeof frame !== 'object' || frame === null || !RELAYED_FRAMES.has(frame.type)) {
    return messageOnly
      ? 'frames must be message frames'
      : 'frame must be a message, reaction or notice frame';
  }
  const frameRoom =
    frame.type === 'message'
      ? frame.message?.roomId
      : frame.type === 'notice'
        ? frame.notice?.roomId
        : frame.type === 'reaction'
          ? frame.roomId
          : undefined;
  if (frameRoom !== roomId) return `the frame is for room ${String(frameRoom)}, not ${roomId}`;
  if (frame.type === 'message' && !RELAY_ID.test(`m-${frame.message?.messageId}`)) {
    return 'the message has no valid messageId';
  }
  return undefined;
}

export class RelayHandler {
  private readonly region: string;

  constructor(private readonly deps: ChatServiceDeps) {
    this.region = deps.config.regionKey;
  }

  async handle(payload: RelayPayload): Promise<RelayResult> {
    const region = this.region;
    const bad = (error: string): RelayResult => ({ ok: false, region, error });
    if (typeof payload !== 'object' || payload === null) return bad('the payload is not an object');
    if (payload.dryRun === true) return { ok: true, region, dryRun: true };
    const { roomId, frame } = payload;
    if (typeof roomId !== 'string' || !LIMITS.roomIdPattern.test(roomId))
      return bad('roomId is missing or invalid');
    if (typeof payload.lookup === 'object' && payload.lookup !== null) {
      const { messageId } = payload.lookup;
      if (typeof messageId !== 'string' || !ID_PATTERN.test(messageId))
        return bad('lookup.messageId is invalid');
      const found = await this.deps.store.messages.getMessage(roomId, messageId, true);
      return { ok: true, region, found: found !== undefined };
    }
    if (typeof payload.join === 'object' && payload.join !== null) {
      const problem = joinProblem(payload.join, payload.originRegion);
      return problem ? bad(problem) : this.join(roomId, payload.originRegion!, payload.join);
    }
    if (typeof payload.sentAt === 'number' && this.deps.now() - payload.sentAt > RELAY_MAX_AGE_MS) {
      // Lambda retried it this long (a throttled or failing region): its members fill it from history.
      const ageSeconds = Math.round((this.deps.now() - payload.sentAt) / 1000);
      console.warn(
        `dropping a relay into ${roomId} from ${String(payload.originRegion)} (${String(payload.relayId ?? payload.frame?.type ?? 'frames')}): broadcast ${ageSeconds} s ago, past the relay's age limit of ${RELAY_MAX_AGE_MS / 1000} s; members fill it from history (gap fill)`,
      );
      return { ok: true, region, dropped: true };
    }
    if (Array.isArray(payload.frames)) {
      if (payload.frames.length === 0 || payload.frames.length > MAX_FRAMES) {
        return bad(`frames must hold 1-${MAX_FRAMES} message frames`);
      }
      const problems = payload.frames.map((f) => frameProblem(roomId, f, f?.type === 'message'));
      const problem = problems.find((p) => p !== undefined);
      if (problem) return bad(problem);
      const frames = payload.frames as Extract<ServerFrame, { type: 'message' }>[];
      return this.deliver(
        roomId,
        frames.map((f) => ({ frame: f, relayId: `m-${f.message.messageId}` })),
      );
    }
    const problem = frameProblem(roomId, frame, false);
    if (problem || !frame) return bad(problem ?? 'frame is missing');
    const relayId =
      payload.relayId ?? (frame.type === 'message' ? `m-${frame.message?.messageId}` : undefined);
    if (typeof relayId !== 'string' || !RELAY_ID.test(relayId)) return bad('relayId is missing or invalid');
    return this.deliver(roomId, [{ frame, relayId }]);
  }

  /**
   * Posts relayed frames, in order, to this region's members in the room, each once however often it is
   * relayed: the markers are claimed at once and the presence is read once for them all, so that a sender's
   * queued sends cost one round of reads, not one per frame.
   */
  private async deliver(
    roomId: string,
    frames: readonly { frame: ServerFrame; relayId: string }[],
  ): Promise<RelayResult> {
    const region = this.region;
    const claims = await Promise.all(
      frames.map((f) => this.deps.store.claimRelay(roomId, region, f.relayId)),
    );
    const claimed = frames.filter((_, i) => claims[i]);
    if (claimed.length === 0) return { ok: true, region, duplicate: true, delivered: 0, gone: 0, failed: 0 };
    let posted = 0;
    try {
      const { presence } = await this.deps.store.presence.listPresence(roomId, region);
      const targets = presence
        .map((p) => postTarget(this.deps.config, p))
        .filter((t): t is PostTarget => t !== undefined);
      const totals = { ok: true, region, duplicate: false, delivered: 0, gone: 0, failed: 0 };
      const gone = new Set<string>();
      // One after another: they are one sender's messages in its order.
      for (const { frame } of claimed) {
        const live = targets.filter((t) => !gone.has(t.connectionId));
        const fan = await this.deps.poster.fanOut(live, JSON.stringify(frame), async (t) => {
          await this.deps.store.presence.deleteConnection(region, t.connectionId, roomId);
        });
        for (const id of fan.gone) gone.add(id);
        posted++;
        totals.delivered += fan.delivered;
        totals.gone += fan.gone.length;
        totals.failed += fan.failed.length;
      }
      return totals;
    } catch (error) {
      // Let Lambda's retry of this event deliver what was not posted: those markers must not block it.
      await Promise.all(
        claimed
          .slice(posted)
          .map((f) => this.deps.store.releaseRelay(roomId, region, f.relayId).catch(() => {})),
      );
      throw error;
    }
  }

  /** Records another region's join here, then answers with this replica's newest page. */
  private async join(roomId: string, origin: string, join: RelayedJoin): Promise<RelayResult> {
    await this.deps.store.presence.recordPresence(
      {
        roomId,
        region: origin,
        connectionId: join.connectionId,
        userId: join.userId,
        ...(join.endpoint ? { endpoint: join.endpoint } : {}),
        joinedAt: join.joinedAt,
        expiresAt: join.expiresAt,
      },
      this.region,
    );
    // Consistent: a send written here before the copy was recorded must be in this page (docs/protocol.md).
    const page = await this.deps.store.messages.page(roomId, LIMITS.joinHistory, undefined, undefined, true);
    return { ok: true, region: this.region, messages: page.messages };
  }
}
