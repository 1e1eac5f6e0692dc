/**
 * The send route (docs/protocol.md): write once under an id every region derives alike, re-check the
 * presence epoch so that a member who joined meanwhile is reached, push in the sender's order, then ack: an
 * ack says the message is pushed, so a client that waits for it before sending again keeps its order. A
 * send the client follows before its ack (`more`) records itself pushed and pushes, and acks, what was
 * queued behind it.
 */
import { derivedMessageId } from '../../core/message-id.js';
import { type ChatMessage, LIMITS, type SendRequest, type ServerFrame } from '../../core/protocol.js';
import type { PresenceRecord, RoomPresence } from '../store/chat-store.js';
import { newId } from '../util.js';
import type { Caller, ChatOutlet, ChatServiceDeps } from './deps.js';
import { FrameError } from './validate.js';

/** A queued send's entry: `<clientMsgId>|<after>|<messageId>` (the id is derived from the text too). */
const idOf = (entry: string) => entry.split('|')[0];
const afterOf = (entry: string) => entry.split('|')[1] ?? '';
const messageOf = (entry: string) => entry.split('|')[2];

/**
 * The queued entries (`<clientMsgId>|<after>`) behind send `done` and, in turn, behind those, in the
 * sender's order. A chain that forked (two sends naming one `after`) is taken whole. Only `after` itself
 * counts, never an older send: a later send recorded meanwhile (one sent after this burst's acks pushes
 * at once) says nothing of this burst's pushes.
 */
function queuedBehind(pending: readonly string[], done: string): string[] {
  const taken = new Set<string>();
  const reached = new Set([done]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const entry of pending) {
      if (taken.has(entry) || !reached.has(afterOf(entry))) continue;
      taken.add(entry);
      reached.add(idOf(entry));
      grew = true;
    }
  }
  // At most a relay payload's worth per round (relay-handler.ts takes 100 frames); the rest follow next round.
  return [...taken].sort((a, b) => (idOf(a) < idOf(b) ? -1 : 1)).slice(0, 50);
}

const WINDOW = { aheadMs: LIMITS.clientIdAheadMs, behindMs: LIMITS.clientIdBehindMs };

export class SendFlow {
  private readonly region: string;
  /** How many region keys sort before this one: their epoch items lie between this one's and the messages. */
  private readonly regionsBelow: number;

  constructor(
    private readonly deps: ChatServiceDeps,
    private readonly chat: ChatOutlet,
  ) {
    this.region = deps.config.regionKey;
    this.regionsBelow = Object.keys(deps.config.relayTargets).filter((k) => k < this.region).length;
  }

  async send(caller: Caller, frame: SendRequest): Promise<void> {
    const sentAt = this.deps.now();
    // One Query gives the sender's own presence (membership and user id), every member to reach and this
    // region's presence epoch.
    const room = await this.deps.store.presence.listPresence(frame.roomId, undefined, this.region);
    const own = room.presence.find((p) => p.region === this.region && p.connectionId === caller.connectionId);
    if (!own) throw new FrameError('NOT_MEMBER', `join room ${frame.roomId} first`, 'send');
    const derived = derivedMessageId(frame.roomId, own.userId, frame.clientMsgId, frame, sentAt, WINDOW);
    // Only a send that a later one may name in `after` records itself pushed (Order): a client names only a
    // send it sent with `more`, so any other send skips that write.
    const ordered = Boolean(derived) && frame.more === true;
    let queued = false;
    try {
      const parentId = frame.parentId;
      if (
        parentId &&
        !(await this.deps.store.messages.getMessage(frame.roomId, parentId)) &&
        !(await this.chat.knownMessage(frame.roomId, parentId))
      ) {
        throw new FrameError(
          'NOT_FOUND',
          `parentId ${frame.parentId} is not a message of room ${frame.roomId}`,
          'send',
        );
      }
      const messageId = derived ?? newId(sentAt);
      const message: ChatMessage = {
        messageId,
        roomId: frame.roomId,
        userId: own.userId,
        text: frame.text,
        sentAt,
        region: this.region,
        clientMsgId: frame.clientMsgId,
        ...(frame.parentId ? { parentId: frame.parentId } : {}),
      };
      const written = derived
        ? await this.deps.store.messages.putDerived(message)
        : await this.deps.store.messages.putWithRecord(message);
      const ack = () => this.ack(caller, frame.clientMsgId, written.messageId, written.duplicate);
      // A retry is acknowledged with the first id and not pushed again: members got it the first time.
      if (written.duplicate) return await ack();
      // An opaque clientMsgId has no order to keep: its ack goes at once, alongside the read after the write.
      const [{ members, prevId }] = await Promise.all([
        this.afterWrite(frame.roomId, messageId, room),
        derived ? undefined : ack(),
      ]);
      const behind = derived && frame.after && !(own.sentThrough && own.sentThrough >= frame.after);
      const entry = `${frame.clientMsgId}|${frame.after}|${messageId}`;
      if (behind && (await this.deps.store.presence.queueAfter(own, frame.after!, entry))) {
        // Pushed, and then acked, by the handler of the send it waits for.
        queued = true;
        return;
      }
      // Relays waited for (ULID ids): pushed means pushed in every region when the ack goes.
      const pushed = await this.chat.broadcast(
        frame.roomId,
        { type: 'message', message: prevId ? { ...message, prevId } : message },
        members,
        caller.endpoint,
        Boolean(derived),
      );
      if (derived) await ack();
      await this.chat.relayLater(pushed);
    } finally {
      // Done even when refused, so that a send queued behind this one is not held.
      if (ordered && !queued) await this.doneAndDrain(own, frame.clientMsgId, caller.endpoint);
    }
  }

  /**
   * Marks the sender's send done and pushes the sends queued behind it, in its order, in one ordered
   * broadcast per round, acking each once pushed (docs/protocol.md, Order). A failure is logged: the queued sends are in history,
   * and the next message names them in prevId.
   */
  private async doneAndDrain(own: PresenceRecord, clientMsgId: string, endpoint: string): Promise<void> {
    try {
      let done = clientMsgId;
      let taken: string[] = [];
      for (;;) {
        const pending = await this.deps.store.presence.doneAndPending(own, done, taken);
        // Sends up to `done` are pushed: none of them is taken twice, whatever the item still holds.
        const last = done;
        taken = queuedBehind(pending, done).filter((entry) => idOf(entry) > last);
        if (taken.length === 0) return;
        done = idOf(taken.at(-1)!);
        const messages = await Promise.all(
          taken.map((entry) => {
            const messageId = messageOf(entry);
            // An entry without its id (queued by the code before ids kept the text) is pushed by gap fill.
            return messageId ? this.deps.store.messages.getMessage(own.roomId, messageId) : undefined;
          }),
        );
        const found = messages.filter((m): m is ChatMessage => m !== undefined);
        // Both read after the queued sends were written. Presence consistently: a join recorded before it is
        // in it, and a join recorded after finds them in its history. The prevIds: each push names the
        // message below it, as a lone send's does.
        const [{ presence }, prevIds] = await Promise.all([
          this.deps.store.presence.listPresence(own.roomId, undefined, undefined, true),
          this.deps.store.messages.prevIds(
            own.roomId,
            found.map((m) => m.messageId),
          ),
        ]);
        const frames = found.map((message): ServerFrame => {
          const prevId = prevIds.get(message.messageId);
          return { type: 'message', message: prevId ? { ...message, prevId } : message };
        });
        const pushed = await this.chat.broadcastFrames(own.roomId, frames, presence, endpoint, true);
        const caller = { connectionId: own.connectionId, endpoint };
        for (const m of found) await this.ack(caller, m.clientMsgId, m.messageId, false);
        await this.chat.relayLater(pushed);
      }
    } catch (error) {
      console.error(`pushing the sends queued behind ${clientMsgId} in ${own.roomId} failed:`, error);
    }
  }

  private ack(caller: Caller, clientMsgId: string, messageId: string, duplicate: boolean): Promise<void> {
    return this.chat.reply(caller, { type: 'ack', clientMsgId, messageId, duplicate });
  }

  /**
   * One read after the write: the members to push to, and the push's prevId (the newest message below this
   * one). A join recorded in this region between the send's presence read and its write bumped the epoch:
   * then presence is read again and includes the new member (a join recorded after the write finds the
   * message in its history instead).
   */
  private async afterWrite(
    roomId: string,
    messageId: string,
    before: RoomPresence,
  ): Promise<{ members: PresenceRecord[]; prevId?: string }> {
    const { epoch, prevId } = await this.deps.store.messages.afterWrite(
      roomId,
      messageId,
      this.region,
      this.regionsBelow,
    );
    const members =
      epoch === before.epoch
        ? before.presence
        : // Consistent: a join recorded before the epoch read above must be in it (on AWS a plain read
          // may still miss it).
          (await this.deps.store.presence.listPresence(roomId, undefined, undefined, true)).presence;
    return { members, ...(prevId ? { prevId } : {}) };
  }
}
