/**
 * The sandbox's edge as the Sandbox starts it (edge.ts): the AWS services by signing name, the console's
 * page and events, the local event bus, the control API, and a log line per AWS request.
 */
import type { RegionSpec } from '../core/topology.js';
import type { AccessPolicy } from './access.js';
import { consoleRoutes } from './console/server.js';
import { controlHandler } from './control.js';
import type { ControlledSandbox } from './controlled.js';
import { type Edge, startEdge } from './edge.js';
import { edgeRequestLogger, type SandboxLogEvent } from './log.js';
import { listenOrExplain } from './ports.js';
import { runningService } from './services/definition.js';
import { EVENTS } from './services/events/definition.js';
import type { SandboxService } from './services/service.js';

export interface SandboxEdgeOptions {
  readonly port: number;
  readonly host: string;
  readonly sandbox: ControlledSandbox;
  /** The running services (the edge finds each by name at every request). */
  readonly services: ReadonlyMap<string, SandboxService>;
  readonly access: () => AccessPolicy;
  /** The control API's stop request. */
  readonly requestStop: () => void;
  readonly regions: () => readonly RegionSpec[];
  /** The sandbox log, when it keeps one. */
  readonly log?: (event: SandboxLogEvent) => void;
}

export function startSandboxEdge(options: SandboxEdgeOptions): Promise<Edge> {
  const { port, services, log } = options;
  return listenOrExplain(port, "the sandbox's edge", () =>
    startEdge({
      port,
      host: options.host,
      service: (name) => services.get(name),
      access: options.access,
      console: consoleRoutes(options.sandbox),
      events: (req, res, url) => {
        const bus = runningService(services, EVENTS);
        bus?.serve(req, res, url);
        return bus !== undefined;
      },
      control: controlHandler(options.sandbox, options.requestStop),
      ...(log ? { onRequest: edgeRequestLogger(options.regions, log) } : {}),
    }),
  );
}
