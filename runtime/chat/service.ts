import { LIMITS, type LoadLevel, type Notice, type ServerFrame } from '../../core/protocol.js';
import type { PostTarget } from '../notify/connections.js';
import {
  invokeJoinRelays,
  invokeLookups,
  invokeRelays,
  RELAY_BUDGET,
  type RelayPayload,
  type RelayResult,
} from '../notify/relay.js';
import type { PresenceRecord, ReactOutcome } from '../store/chat-store.js';
import { retryAfterMs, SHEDDING } from '../store/load-level.js';
import { newId } from '../util.js';
import type { BroadcastResult, Caller, ChatOutlet, ChatServiceDeps } from './deps.js';
import { mergePages } from './pages.js';
import { postTarget, RelayHandler } from './relay-handler.js';
import { SendFlow } from './send.js';
import { encodeCursor, FrameError, parseFrame } from './validate.js';

export type { BroadcastResult, Caller, ChatServiceDeps };

const REACT_REFUSALS: Record<Exclude<ReactOutcome, 'ok' | 'no-message'>, string> = {
  'emoji-cap': `a message takes at most ${LIMITS.reactionEmojiPerMessage} distinct emoji`,
  'message-cap': `a message takes at most ${LIMITS.reactionsPerMessage} reactions`,
  'user-cap': `one user puts at most ${LIMITS.reactionsPerUser} reactions on a message`,
};

export class OverloadedError extends FrameError {
  constructor(
    readonly level: LoadLevel,
    readonly retryAfterMs: number,
    action: string,
  ) {
    super(
      'OVERLOADED',
      `the region is shedding load (level ${level}): ${action} is paused; retry later`,
      action,
    );
  }
}

export class ChatService implements ChatOutlet {
  private readonly region: string;
  private readonly relays: RelayHandler;
  private readonly sends: SendFlow;

  constructor(private readonly deps: ChatServiceDeps) {
    this.region = deps.config.regionKey;
    this.relays = new RelayHandler(deps);
    this.sends = new SendFlow(deps, this);
  }

  /**
   * Sends a frame to the caller; a caller that is gone is cleaned up. A frame larger than API Gateway posts
   * is never attempted: the caller gets a TOO_LARGE error frame instead of silence.
   */
  async reply(caller: Caller, frame: ServerFrame): Promise<void> {
    let data = JSON.stringify(frame);
    if (Buffer.byteLength(data) > LIMITS.messageBytes) {
      console.error(`a ${frame.type} frame of ${Buffer.byteLength(data)} bytes was not posted`);
      data = JSON.stringify({
        type: 'error',
        code: 'TOO_LARGE',
        message: `the answer would exceed ${LIMITS.messageBytes} bytes; ask for a smaller page`,
      } satisfies ServerFrame);
    }
    const outcome = await this.deps.poster.post(caller, data);
    if (outcome === 'gone') await this.deps.store.presence.deleteConnection(this.region, caller.connectionId);
  }

  private async shed(action: string, shed: (level: LoadLevel) => boolean): Promise<LoadLevel> {
    const level = await this.deps.loadLevel.get();
    if (shed(level)) throw new OverloadedError(level, retryAfterMs(level), action);
    return level;
  }

  private async member(roomId: string, caller: Caller, action: string): Promise<PresenceRecord> {
    const presence = await this.deps.store.presence.getPresence(roomId, this.region, caller.connectionId);
    if (!presence) throw new FrameError('NOT_MEMBER', `join room ${roomId} first`, action);
    return presence;
  }

  /** Posts to this region's members in the room and relays to every other region that has members there. */
  broadcast(
    roomId: string,
    frame: ServerFrame,
    presence: readonly PresenceRecord[],
    fallbackEndpoint?: string,
    ordered = false,
  ): Promise<BroadcastResult> {
    return this.broadcastFrames(roomId, [frame], presence, fallbackEndpoint, ordered);
  }

  /**
   * Posts frames, in order, to this region's members and relays them to every other region with members.
   * `ordered`: the relays are waited for (each region has posted before this returns), so that the
   * sender's next message cannot overtake these anywhere.
   */
  async broadcastFrames(
    roomId: string,
    frames: readonly ServerFrame[],
    presence: readonly PresenceRecord[],
    fallbackEndpoint?: string,
    ordered = false,
  ): Promise<BroadcastResult> {
    const local: PostTarget[] = [];
    let unreachable = 0;
    const remote = new Set<string>();
    for (const p of presence) {
      if (p.region !== this.region) {
        remote.add(p.region);
        continue;
      }
      const target = postTarget(this.deps.config, p, fallbackEndpoint);
      if (target) local.push(target);
      else unreachable++;
    }
    if (unreachable > 0)
      console.warn(`${unreachable} presence items in ${roomId} have no @connections endpoint`);
    const sendable = frames.filter((frame) => {
      // Unreachable with the text and reaction caps; a push API Gateway would refuse is never attempted.
      const fits = Buffer.byteLength(JSON.stringify(frame)) <= LIMITS.messageBytes;
      if (!fits) console.error(`a ${frame.type} frame for ${roomId} exceeds ${LIMITS.messageBytes} bytes`);
      return fits;
    });
    const [first] = sendable;
    if (!first) return { delivered: 0, gone: [], failed: [], relayed: [] };
    const payload: RelayPayload = {
      relayId: first.type === 'message' ? `m-${first.message.messageId}` : `f-${newId(this.deps.now())}`,
      roomId,
      originRegion: this.region,
      sentAt: this.deps.now(),
      ...(sendable.length === 1 ? { frame: first } : { frames: sendable }),
      ...(sendable.length === 1 && first.type === 'message' ? { message: first.message } : {}),
    };
    const posting = (async () => {
      const totals = { delivered: 0, gone: [] as string[], failed: [] as string[] };
      for (const frame of sendable) {
        const fan = await this.deps.poster.fanOut(local, JSON.stringify(frame), async (t) => {
          await this.deps.store.presence.deleteConnection(this.region, t.connectionId, roomId);
        });
        totals.delivered += fan.delivered;
        totals.gone.push(...fan.gone);
        totals.failed.push(...fan.failed);
      }
      return totals;
    })();
    const [fan, relayed] = await Promise.all([
      posting,
      remote.size > 0
        ? invokeRelays(this.deps.lambda, this.deps.config.relayTargets, [...remote].sort(), payload, {
            wait: ordered,
          })
        : Promise.resolve([]),
    ]);
    const missed = ordered ? relayed.filter((r) => !r.ok).map((r) => r.region) : [];
    return { ...fan, relayed, ...(missed.length > 0 ? { missed: { regions: missed, payload } } : {}) };
  }

  /**
   * After the ack: an ordered push that a region did not answer within its budget (slow, throttled, failing)
   * is handed to that region's async queue (InvocationType Event), which Lambda retries up to the relay's
   * age limit. The first attempt may still land late; the receiving region's relay marker posts it once.
   * What this misses too, gap fill brings (docs/protocol.md, Budgets).
   */
  async relayLater(result: BroadcastResult): Promise<void> {
    if (!result.missed) return;
    const { regions, payload } = result.missed;
    await invokeRelays(this.deps.lambda, this.deps.config.relayTargets, regions, payload);
  }

  /** Handles one MESSAGE frame; every outcome, errors included, is posted to the caller. */
  async handle(caller: Caller, body: string | undefined): Promise<{ ok: boolean; frame?: ServerFrame }> {
    let action: string | undefined;
    let clientMsgId: string | undefined;
    try {
      const frame = parseFrame(body);
      action = frame.action;
      if (frame.action === 'send') clientMsgId = frame.clientMsgId;
      switch (frame.action) {
        case 'ping':
          await this.reply(caller, { type: 'pong', region: this.region, time: this.deps.now() });
          break;
        case 'join':
          await this.join(caller, frame.roomId);
          break;
        case 'leave':
          await this.deps.store.presence.removePresence(frame.roomId, this.region, caller.connectionId);
          await this.reply(caller, { type: 'left', roomId: frame.roomId });
          break;
        case 'send':
          await this.sends.send(caller, frame);
          break;
        case 'history':
          await this.history(caller, frame.roomId, frame.before, frame.limit);
          break;
        case 'react':
          await this.react(caller, frame.roomId, frame.messageId, frame.emoji, frame.add !== false);
          break;
        case 'notice':
          await this.notice(caller, frame.roomId, frame.text);
          break;
      }
      return { ok: true };
    } catch (error) {
      if (error instanceof FrameError) {
        const frame: ServerFrame = {
          type: 'error',
          code: error.code,
          message: error.message,
          ...(error instanceof OverloadedError ? { retryAfterMs: error.retryAfterMs } : {}),
          ...((error.action ?? action) ? { action: error.action ?? action } : {}),
          ...(clientMsgId ? { clientMsgId } : {}),
        };
        await this.reply(caller, frame);
        return { ok: true, frame };
      }
      console.error(`${action ?? 'frame'} failed on ${caller.connectionId}:`, error);
      const frame: ServerFrame = {
        type: 'error',
        code: 'INTERNAL',
        message: 'the server failed to handle this frame; retry it',
        ...(action ? { action } : {}),
        ...(clientMsgId ? { clientMsgId } : {}),
      };
      await this.reply(caller, frame).catch(() => {});
      return { ok: false, frame };
    }
  }

  /**
   * Joins a room: the presence is recorded here and, before `joined` is answered, in every other region
   * (through the relay, each waiting for the answer), so that every message acked after `joined` anywhere is
   * pushed to the new member. The history merges this replica's newest page with theirs (messages not yet
   * replicated here). docs/protocol.md, Joins.
   */
  private async join(caller: Caller, roomId: string): Promise<void> {
    const [level, replicationLagMs, connection] = await Promise.all([
      this.deps.loadLevel.get(),
      this.deps.loadLevel.replicationLagMs(),
      this.deps.store.presence.getConnection(this.region, caller.connectionId),
    ]);
    if (!connection) {
      throw new FrameError('NOT_FOUND', 'this connection is not registered (it expired); reconnect', 'join');
    }
    const presence = await this.deps.store.presence.addPresence(
      { ...connection, endpoint: connection.endpoint ?? caller.endpoint },
      roomId,
    );
    if (!presence) throw new FrameError('NOT_FOUND', 'this connection is gone; reconnect', 'join');
    const limit = SHEDDING.historyLimit(level, LIMITS.joinHistory);
    const told = Object.keys(this.deps.config.relayTargets).length > 0;
    const [page, notice, remote] = await Promise.all([
      // Consistent: it must hold every send written here before the presence was (docs/protocol.md, Joins).
      this.deps.store.messages.page(roomId, limit, undefined, undefined, true),
      this.deps.store.getNotice(roomId),
      told
        ? invokeJoinRelays(
            this.deps.lambda,
            this.deps.config.relayTargets,
            {
              roomId,
              originRegion: this.region,
              join: {
                connectionId: presence.connectionId,
                userId: presence.userId,
                ...(presence.endpoint ? { endpoint: presence.endpoint } : {}),
                joinedAt: presence.joinedAt ?? this.deps.now(),
                expiresAt: presence.expiresAt ?? 0,
              },
            },
            RELAY_BUDGET.joinMs,
          )
        : Promise.resolve([]),
    ]);
    const noticeBytes = notice ? Buffer.byteLength(JSON.stringify(notice)) : 0;
    const merged = mergePages(
      page,
      remote.flatMap((r) => r.messages),
      limit,
      LIMITS.pageBytes - noticeBytes,
    );
    await this.reply(caller, {
      type: 'joined',
      roomId,
      history: merged.messages,
      notice,
      cursor: merged.next ? encodeCursor(merged.next) : null,
      ...(replicationLagMs === undefined ? {} : { replicationLagMs }),
    });
  }

  private async history(caller: Caller, roomId: string, before?: string, limit?: number): Promise<void> {
    const level = await this.shed('history', SHEDDING.historyPaging);
    await this.member(roomId, caller, 'history');
    const page = await this.deps.store.messages.page(
      roomId,
      SHEDDING.historyLimit(level, limit ?? LIMITS.historyPageDefault),
      before,
    );
    const replicationLagMs = await this.deps.loadLevel.replicationLagMs();
    await this.reply(caller, {
      type: 'history',
      roomId,
      messages: page.messages,
      cursor: page.next ? encodeCursor(page.next) : null,
      ...(replicationLagMs === undefined ? {} : { replicationLagMs }),
    });
  }

  private async react(caller: Caller, roomId: string, messageId: string, emoji: string, add: boolean) {
    await this.shed('react', SHEDDING.reactions);
    const me = await this.member(roomId, caller, 'react');
    const react = (known: boolean) =>
      this.deps.store.reactions.react(roomId, messageId, emoji, me.userId, add, known);
    let outcome = await react(false);
    if (outcome === 'no-message' && (await this.knownMessage(roomId, messageId))) outcome = await react(true);
    if (outcome === 'no-message') {
      throw new FrameError('NOT_FOUND', `message ${messageId} is not in room ${roomId}`, 'react');
    }
    if (outcome !== 'ok') throw new FrameError('LIMIT', REACT_REFUSALS[outcome], 'react');
    const { presence } = await this.deps.store.presence.listPresence(roomId);
    await this.broadcast(
      roomId,
      { type: 'reaction', roomId, messageId, emoji, userId: me.userId, added: add },
      presence,
      caller.endpoint,
    );
  }

  private async notice(caller: Caller, roomId: string, text: string) {
    await this.shed('notice', SHEDDING.notices);
    const me = await this.member(roomId, caller, 'notice');
    const notice: Notice = { roomId, text, userId: me.userId, setAt: this.deps.now() };
    await this.deps.store.putNotice(notice);
    const { presence } = await this.deps.store.presence.listPresence(roomId);
    await this.broadcast(roomId, { type: 'notice', notice }, presence, caller.endpoint);
  }

  /**
   * Whether `messageId`, missing from this replica, is a message of the room all the same: one that was
   * relayed here before its item replicated (the relay's marker of its push, written only by this region's
   * relay on another region's Invoke), else one another region's replica holds (asked through the relay,
   * within the push budget). docs/protocol.md, Replies and reactions before replication.
   */
  async knownMessage(roomId: string, messageId: string): Promise<boolean> {
    if (await this.deps.store.relayed(roomId, this.region, `m-${messageId}`)) return true;
    const targets = this.deps.config.relayTargets;
    if (Object.keys(targets).length === 0) return false;
    return invokeLookups(
      this.deps.lambda,
      targets,
      { roomId, originRegion: this.region, lookup: { messageId } },
      RELAY_BUDGET.pushMs,
    );
  }

  /** A frame or a join relayed from another region (relay-handler.ts). */
  relay(payload: RelayPayload): Promise<RelayResult> {
    return this.relays.handle(payload);
  }
}
