/**
 * A sandbox service as one typed definition: its SigV4 signing name, the protocol its callers speak, the
 * ports of its own listeners, the services it needs (by name, each the other's definition, so the handle it
 * is given is typed), and how its code is loaded. The registry (./registry.ts) derives the start order from
 * the needs and hands each factory the running services it named; no service looks another up or casts.
 * A definition imports only types of its implementation, so listing it loads nothing.
 */
import type { WireProtocol } from '../wire/aws-wire.js';
import type { SandboxService, ServiceContext } from './service.js';

/** The listeners a service may own, each on the port the sandbox's plan gives it (../ports.ts). */
export type ServicePort = 'china' | 'dns';

/** The services a service needs, by the name it calls each: `{ route53: ROUTE53 }`. */
// biome-ignore lint/suspicious/noExplicitAny: a need's own needs do not matter to the one that needs it.
export type ServiceNeeds = { readonly [name: string]: ServiceDefinition<SandboxService, any> };

/**
 * The running services a factory is given for its needs. A needed service may not run (the global services
 * with `globalServices: false`, CloudFront without the China proxy): its handle is then undefined.
 */
export type Handles<N extends ServiceNeeds> = {
  readonly [K in keyof N]: (N[K] extends ServiceDefinition<infer H> ? H : never) | undefined;
};

/** Builds the service; undefined when the topology does not use it (CloudFront without the China proxy). */
export type ServiceFactory<
  H extends SandboxService = SandboxService,
  N extends ServiceNeeds = ServiceNeeds,
> = (context: ServiceContext, needs: Handles<N>) => H | undefined;

// biome-ignore lint/complexity/noBannedTypes: a service that needs none.
export interface ServiceDefinition<H extends SandboxService = SandboxService, N extends ServiceNeeds = {}> {
  /**
   * The SigV4 signing name the edge routes on (the service in a request's credential scope). A service that
   * speaks no AWS API (the local event bus, the analytics pipeline) takes a `chatctl-` name no AWS service
   * signs with, so no AWS client is ever routed to it.
   */
  readonly name: string;
  /** The protocol its callers speak on the edge (none: it answers on listeners of its own only). */
  readonly protocol?: WireProtocol;
  /** Global services (Route 53, CloudFront, DNS) are left out with the `globalServices: false` option. */
  readonly global?: boolean;
  /** The listeners of its own, on the ports planned for them. */
  readonly ports?: readonly ServicePort[];
  /** The services it needs, started before it. */
  readonly needs: N;
  /** Its code, loaded while the JVM starts (imported only when the sandbox runs it). */
  load(): Promise<ServiceFactory<H, N>>;
}

/** A definition, checked against its factory's types. */
// biome-ignore lint/complexity/noBannedTypes: a service that needs none.
export function defineService<H extends SandboxService, N extends ServiceNeeds = {}>(
  definition: ServiceDefinition<H, N>,
): ServiceDefinition<H, N> {
  return definition;
}

/**
 * The running service a definition made, typed as its definition says (the one place the name is read
 * back into its type: the registry keeps each service under its definition's name).
 */
export function runningService<H extends SandboxService>(
  running: ReadonlyMap<string, SandboxService>,
  // biome-ignore lint/suspicious/noExplicitAny: any needs.
  definition: ServiceDefinition<H, any>,
): H | undefined {
  return running.get(definition.name) as H | undefined;
}
