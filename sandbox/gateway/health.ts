/** The region's HTTP API: GET /health runs the health handler with a payload-2.0 event. */
import type { EdgeResponse, LocalRequest } from '../contracts.js';
import { type GatewayContext, sleep } from './connections.js';
import { healthEvent } from './events.js';
import { reply } from './management.js';

export async function answerHealth(
  context: GatewayContext,
  request: LocalRequest,
  url: URL,
): Promise<EdgeResponse> {
  const { options } = context;
  if (options.isDown()) return reply(503, JSON.stringify({ message: 'Service Unavailable' }));
  // API Gateway admits or refuses each request at its front door whatever its integration is doing: let every
  // request that has arrived meet the stage throttle before this one's handler takes the event loop.
  await new Promise((resolve) => setImmediate(resolve));
  const delay = options.delayMs();
  if (delay > 0) await sleep(delay);
  const event = healthEvent(options.account, context.api.apiId, {
    method: request.method,
    url,
    headers: request.headers,
    sourceIp: request.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
    httpVersion: request.httpVersion ?? '1.1',
    host: String(request.headers.host ?? `127.0.0.1:${context.port()}`),
    port: context.port(),
  });
  try {
    const result = await options.app().health(event);
    if (typeof result === 'string' || result === undefined) return reply(200, result ?? '');
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) out[name] = String(value);
    return reply(result.statusCode ?? 200, result.body ?? '', out);
  } catch (error) {
    context.report(error, `/health in ${options.regionKey}`);
    return reply(500, JSON.stringify({ message: 'Internal Server Error' }));
  }
}
