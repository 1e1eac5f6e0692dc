/**
 * Times every handler invocation of a region (as Lambda's REPORT line and CloudWatch would show it) and
 * writes one sandbox log line each: function, route, ms, and the error when it threw or answered 5xx. A call
 * for a health checker or a canary (its event's User-Agent), or made by one (a relay), runs as routine traffic
 * (routine.ts), which the log keeps at debug level.
 */
import { names } from '../core/names.js';
import type { Route } from '../core/protocol.js';
import type { RegionSpec, Topology } from '../core/topology.js';
import type { SandboxLogEvent } from './log.js';
import { eventUserAgent, inRoutine, isRoutineAgent, runRoutine } from './routine.js';
import type { HostedChatApp } from './runtime-host.js';

export type LogWriter = (event: SandboxLogEvent) => void;

export function loggedApp(
  app: HostedChatApp,
  topology: Topology,
  spec: RegionSpec,
  log: LogWriter,
): HostedChatApp {
  const timed = <T>(route: string, fn: string, call: () => Promise<T>, event?: unknown): Promise<T> => {
    const routine = inRoutine() || isRoutineAgent(eventUserAgent(event));
    return runRoutine(routine, () => timedCall(route, fn, call, routine));
  };
  const timedCall = async <T>(route: string, fn: string, call: () => Promise<T>, routine: boolean) => {
    const started = performance.now();
    const done = (error?: string) =>
      log({
        kind: 'handler',
        function: fn,
        region: spec.key,
        route,
        ms: performance.now() - started,
        ...(error ? { error } : {}),
        ...(routine ? { routine: true } : {}),
      });
    try {
      const result = await call();
      const status = (result as { statusCode?: number } | undefined)?.statusCode;
      done(status !== undefined && status >= 500 ? `status ${status}` : undefined);
      return result;
    } catch (error) {
      done((error as Error)?.message ?? String(error));
      throw error;
    }
  };
  const fn = (route: string) => names.function(topology, spec.key, route as Route);
  return {
    connect: (event) => timed('$connect', fn('connect'), () => app.connect(event), event),
    disconnect: (event) => timed('$disconnect', fn('disconnect'), () => app.disconnect(event), event),
    message: (event) => {
      const route = event.requestContext.routeKey ?? '$default';
      return timed(route, fn(route.replace(/^\$/, '')), () => app.message(event), event);
    },
    relay: (payload) => timed('relay', names.relayFunction(topology, spec.key), () => app.relay(payload)),
    health: (event) => timed('GET /health', fn('health'), () => app.health(event), event),
  };
}
