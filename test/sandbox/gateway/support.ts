/** The real runtime's handlers with every event the gateway hands them recorded (for the gateway's tests). */
import type { WebSocketResult } from '../../../runtime/app.js';
import type { ChatAppFactory, HostedChatApp } from '../../../sandbox/runtime-host.js';

export interface RecordedEvent {
  readonly route: 'connect' | 'disconnect' | 'message' | 'health';
  readonly event: Record<string, unknown>;
}

/**
 * A createApp option: the runtime's app, recording into `events` each event before handling it. `alterConnect`
 * may change what $connect answers (a test of what the gateway does with it).
 */
export async function recordingApp(
  events: RecordedEvent[],
  alterConnect: (result: WebSocketResult) => WebSocketResult = (result) => result,
): Promise<ChatAppFactory> {
  const { createChatApp } = await import('../../../runtime/app.js');
  return (config) => {
    const app = createChatApp(config);
    const seen = <E>(route: RecordedEvent['route'], event: E): E => {
      events.push({ route, event: structuredClone(event) as Record<string, unknown> });
      return event;
    };
    return {
      connect: async (e) => alterConnect(await app.connect(seen('connect', e))),
      disconnect: (e) => app.disconnect(seen('disconnect', e)),
      message: (e) => app.message(seen('message', e)),
      relay: (p) => app.relay(p),
      health: (e) => app.health(seen('health', e)),
    } satisfies HostedChatApp;
  };
}
