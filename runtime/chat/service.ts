/**
 * The chat service: what each route does, over the store (DynamoDB), the poster (@connections) and the
 * relay (Lambda Invoke). Handlers in app.ts only adapt API Gateway's events to these calls.
 */
import {
  type ChatMessage,
  LIMITS,
  type LoadLevel,
  type Notice,
  type ServerFrame,
} from '../../core/protocol.js';
import type { RuntimeConfig } from '../config.js';
import type { ConnectionPoster, FanOutResult, PostTarget } from '../notify/connections.js';
import {
  invokeRelays,
  type LambdaClientFactory,
  type RelayInvokeResult,
  type RelayPayload,
  type RelayResult,
} from '../notify/relay.js';
import type { ChatStore, PresenceRecord } from '../store/chat-store.js';
import { type LoadLevelCache, retryAfterMs, SHEDDING } from '../store/load-level.js';
import { newId } from '../util.js';
import { encodeCursor, FrameError, parseFrame } from './validate.js';

/** The connection a frame came from, and the @connections endpoint that reaches it. */
export interface Caller {
  readonly connectionId: string;
  readonly endpoint: string;
}

export interface BroadcastResult extends FanOutResult {
  readonly relayed: readonly RelayInvokeResult[];
}

export interface ChatServiceDeps {
  readonly config: RuntimeConfig;
  readonly store: ChatStore;
  readonly poster: ConnectionPoster;
  readonly lambda: LambdaClientFactory;
  readonly loadLevel: LoadLevelCache;
  readonly now: () => number;
}

const RELAYED_FRAMES = new Set(['message', 'reaction', 'notice']);
const RELAY_ID = /^[A-Za-z0-9_-]{1,80}$/;

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

export class ChatService {
  private readonly region: string;

  constructor(private readonly deps: ChatServiceDeps) {
    this.region = deps.config.regionKey;
  }

  /** Sends a frame to the caller; a caller that is gone is cleaned up. */
  async reply(caller: Caller, frame: ServerFrame): Promise<void> {
    const outcome = await this.deps.poster.post(caller, JSON.stringify(frame));
    if (outcome === 'gone') await this.deps.store.deleteConnection(this.region, caller.connectionId);
  }

  private async shed(action: string, shed: (level: LoadLevel) => boolean): Promise<LoadLevel> {
    const level = await this.deps.loadLevel.get();
    if (shed(level)) throw new OverloadedError(level, retryAfterMs(level), action);
    return level;
  }

  private async member(roomId: string, caller: Caller, action: string): Promise<PresenceRecord> {
    const presence = await this.deps.store.getPresence(roomId, this.region, caller.connectionId);
    if (!presence) throw new FrameError('NOT_MEMBER', `join room ${roomId} first`, action);
    return presence;
  }

  private target(presence: PresenceRecord, fallback?: string): PostTarget | undefined {
    const endpoint = this.deps.config.managementEndpoint ?? presence.endpoint ?? fallback;
    return endpoint ? { connectionId: presence.connectionId, endpoint } : undefined;
  }

  /** Posts to this region's members in the room and relays to every other region that has members there. */
  async broadcast(
    roomId: string,
    frame: ServerFrame,
    presence: readonly PresenceRecord[],
    fallbackEndpoint?: string,
  ): Promise<BroadcastResult> {
    const local: PostTarget[] = [];
    let unreachable = 0;
    const remote = new Set<string>();
    for (const p of presence) {
      if (p.region !== this.region) {
        remote.add(p.region);
        continue;
      }
      const target = this.target(p, fallbackEndpoint);
      if (target) local.push(target);
      else unreachable++;
    }
    const payload: RelayPayload = {
      relayId: frame.type === 'message' ? `m-${frame.message.messageId}` : `f-${newId(this.deps.now())}`,
      roomId,
      originRegion: this.region,
      frame,
      ...(frame.type === 'message' ? { message: frame.message } : {}),
    };
    const [fan, relayed] = await Promise.all([
      this.deps.poster.fanOut(local, JSON.stringify(frame), async (t) => {
        await this.deps.store.deleteConnection(this.region, t.connectionId, roomId);
      }),
      remote.size > 0
        ? invokeRelays(this.deps.lambda, this.deps.config.relayTargets, [...remote].sort(), payload)
        : Promise.resolve([]),
    ]);
    if (unreachable > 0)
      console.warn(`${unreachable} presence items in ${roomId} have no @connections endpoint`);
    return { ...fan, relayed };
  }

  /** Handles one MESSAGE frame; every outcome, errors included, is posted to the caller. */
  async handle(caller: Caller, body: string | undefined): Promise<{ ok: boolean; frame?: ServerFrame }> {
    let action: string | undefined;
    try {
      const frame = parseFrame(body);
      action = frame.action;
      switch (frame.action) {
        case 'ping':
          await this.reply(caller, { type: 'pong', region: this.region, time: this.deps.now() });
          break;
        case 'join':
          await this.join(caller, frame.roomId);
          break;
        case 'leave':
          await this.deps.store.removePresence(frame.roomId, this.region, caller.connectionId);
          await this.reply(caller, { type: 'left', roomId: frame.roomId });
          break;
        case 'send':
          await this.send(caller, frame);
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
      };
      await this.reply(caller, frame).catch(() => {});
      return { ok: false, frame };
    }
  }

  private async join(caller: Caller, roomId: string): Promise<void> {
    const [level, connection] = await Promise.all([
      this.deps.loadLevel.get(),
      this.deps.store.getConnection(this.region, caller.connectionId),
    ]);
    if (!connection) {
      throw new FrameError('NOT_FOUND', 'this connection is not registered (it expired); reconnect', 'join');
    }
    const [added, page, notice] = await Promise.all([
      this.deps.store.addPresence(
        { ...connection, endpoint: connection.endpoint ?? caller.endpoint },
        roomId,
      ),
      this.deps.store.pageMessages(roomId, SHEDDING.historyLimit(level, LIMITS.joinHistory)),
      this.deps.store.getNotice(roomId),
    ]);
    if (!added) throw new FrameError('NOT_FOUND', 'this connection is gone; reconnect', 'join');
    await this.reply(caller, {
      type: 'joined',
      roomId,
      history: page.messages,
      notice,
      cursor: page.next ? encodeCursor(page.next) : null,
    });
  }

  private async send(
    caller: Caller,
    frame: { roomId: string; text: string; clientMsgId: string; parentId?: string },
  ): Promise<void> {
    // One Query gives both the sender's own presence (membership and user id) and every member to reach.
    const presence = await this.deps.store.listPresence(frame.roomId);
    const own = presence.find((p) => p.region === this.region && p.connectionId === caller.connectionId);
    if (!own) throw new FrameError('NOT_MEMBER', `join room ${frame.roomId} first`, 'send');
    if (frame.parentId && !(await this.deps.store.getMessage(frame.roomId, frame.parentId))) {
      throw new FrameError(
        'NOT_FOUND',
        `parentId ${frame.parentId} is not a message of room ${frame.roomId}`,
        'send',
      );
    }
    const sentAt = this.deps.now();
    const message: ChatMessage = {
      messageId: newId(sentAt),
      roomId: frame.roomId,
      userId: own.userId,
      text: frame.text,
      sentAt,
      region: this.region,
      clientMsgId: frame.clientMsgId,
      ...(frame.parentId ? { parentId: frame.parentId } : {}),
    };
    const { messageId, duplicate } = await this.deps.store.putMessage(message);
    await this.reply(caller, { type: 'ack', clientMsgId: frame.clientMsgId, messageId, duplicate });
    // A retry is acknowledged with the first id and not broadcast again: members got it the first time.
    if (duplicate) return;
    await this.broadcast(frame.roomId, { type: 'message', message }, presence, caller.endpoint);
  }

  private async history(caller: Caller, roomId: string, before?: string, limit?: number): Promise<void> {
    const level = await this.shed('history', SHEDDING.historyPaging);
    await this.member(roomId, caller, 'history');
    const page = await this.deps.store.pageMessages(
      roomId,
      SHEDDING.historyLimit(level, limit ?? LIMITS.historyPageDefault),
      before,
    );
    await this.reply(caller, {
      type: 'history',
      roomId,
      messages: page.messages,
      cursor: page.next ? encodeCursor(page.next) : null,
    });
  }

  private async react(caller: Caller, roomId: string, messageId: string, emoji: string, add: boolean) {
    await this.shed('react', SHEDDING.reactions);
    const me = await this.member(roomId, caller, 'react');
    if (!(await this.deps.store.react(roomId, messageId, emoji, me.userId, add))) {
      throw new FrameError('NOT_FOUND', `message ${messageId} is not in room ${roomId}`, 'react');
    }
    const presence = await this.deps.store.listPresence(roomId);
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
    const presence = await this.deps.store.listPresence(roomId);
    await this.broadcast(roomId, { type: 'notice', notice }, presence, caller.endpoint);
  }

  /** A room broadcast from another region: posted once to this region's members in the room. */
  async relay(payload: RelayPayload): Promise<RelayResult> {
    const region = this.region;
    const bad = (error: string): RelayResult => ({ ok: false, region, error });
    if (typeof payload !== 'object' || payload === null) return bad('the payload is not an object');
    if (payload.dryRun === true) return { ok: true, region, dryRun: true };
    const { roomId, frame } = payload;
    if (typeof roomId !== 'string' || !LIMITS.roomIdPattern.test(roomId))
      return bad('roomId is missing or invalid');
    if (typeof frame !== 'object' || frame === null || !RELAYED_FRAMES.has(frame.type)) {
      return bad('frame must be a message, reaction or notice frame');
    }
    const frameRoom =
      frame.type === 'message'
        ? frame.message?.roomId
        : frame.type === 'notice'
          ? frame.notice?.roomId
          : frame.type === 'reaction'
            ? frame.roomId
            : undefined;
    if (frameRoom !== roomId) return bad(`the frame is for room ${String(frameRoom)}, not ${roomId}`);
    const relayId =
      payload.relayId ?? (frame.type === 'message' ? `m-${frame.message?.messageId}` : undefined);
    if (typeof relayId !== 'string' || !RELAY_ID.test(relayId)) return bad('relayId is missing or invalid');
    if (!(await this.deps.store.claimRelay(roomId, region, relayId))) {
      return { ok: true, region, duplicate: true, delivered: 0, gone: 0, failed: 0 };
    }
    try {
      const presence = await this.deps.store.listPresence(roomId, region);
      const data = JSON.stringify(frame);
      const targets = presence.map((p) => this.target(p)).filter((t): t is PostTarget => t !== undefined);
      const fan = await this.deps.poster.fanOut(targets, data, async (t) => {
        await this.deps.store.deleteConnection(region, t.connectionId, roomId);
      });
      return {
        ok: true,
        region,
        duplicate: false,
        delivered: fan.delivered,
        gone: fan.gone.length,
        failed: fan.failed.length,
      };
    } catch (error) {
      // Let Lambda's retry of this event deliver it: the marker must not block that retry.
      await this.deps.store.releaseRelay(roomId, region, relayId).catch(() => {});
      throw error;
    }
  }
}
