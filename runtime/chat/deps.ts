/**
 * What the chat's parts share: the service's dependencies, the caller of a frame, a broadcast's result, and
 * the part of the service the send flow posts through (so send.ts and relay-handler.ts need not import
 * service.ts, which builds them).
 */
import type { ServerFrame } from '../../core/protocol.js';
import type { RuntimeConfig } from '../config.js';
import type { ConnectionPoster, FanOutResult } from '../notify/connections.js';
import type { LambdaClientFactory, RelayInvokeResult, RelayPayload } from '../notify/relay.js';
import type { ChatStore, PresenceRecord } from '../store/chat-store.js';
import type { LoadLevelCache } from '../store/load-level.js';

/** The connection a frame came from, and the @connections endpoint that reaches it. */
export interface Caller {
  readonly connectionId: string;
  readonly endpoint: string;
}

export interface BroadcastResult extends FanOutResult {
  readonly relayed: readonly RelayInvokeResult[];
  /** An ordered push some regions did not answer within its budget: relayLater hands it to their async queue. */
  readonly missed?: { readonly regions: readonly string[]; readonly payload: RelayPayload };
}

export interface ChatServiceDeps {
  readonly config: RuntimeConfig;
  readonly store: ChatStore;
  readonly poster: ConnectionPoster;
  readonly lambda: LambdaClientFactory;
  readonly loadLevel: LoadLevelCache;
  readonly now: () => number;
}

/** What the send flow asks of the chat service: answer the caller, push to the room, look a message up. */
export interface ChatOutlet {
  reply(caller: Caller, frame: ServerFrame): Promise<void>;
  broadcast(
    roomId: string,
    frame: ServerFrame,
    presence: readonly PresenceRecord[],
    fallbackEndpoint?: string,
    ordered?: boolean,
  ): Promise<BroadcastResult>;
  broadcastFrames(
    roomId: string,
    frames: readonly ServerFrame[],
    presence: readonly PresenceRecord[],
    fallbackEndpoint?: string,
    ordered?: boolean,
  ): Promise<BroadcastResult>;
  relayLater(result: BroadcastResult): Promise<void>;
  knownMessage(roomId: string, messageId: string): Promise<boolean>;
}
