/**
 * A sandbox service as one typed definition: its SigV4 signing name, the protocol its callers speak, the
 * ports of its own listeners, its slice of the sandbox's options (a zod schema: sandbox/options.ts composes
 * every slice), and what it needs by name: other services (each the other's definition, so the handle it is
 * given is typed) and parts of the Sandbox (./parts.ts). The registry (./registry.ts) derives the start order
 * from the needs and hands each factory the running services and parts it named and its validated slice; no
 * service looks another up or casts. A definition imports only types of its implementation, so listing it
 * loads nothing.
 */
import type { z } from 'zod';
import type { WireProtocol } from '../wire/aws-wire.js';
import type { PartNeed, SandboxParts } from './parts.js';
import type { SandboxService, ServiceContext } from './service.js';

// biome-ignore lint/complexity/noBannedTypes: a service that needs none.
type NoNeeds = {};
// biome-ignore lint/complexity/noBannedTypes: a service without options.
type NoOptions = {};

/** The listeners a service may own, each on the port the sandbox's plan gives it (../ports.ts). */
export type ServicePort = 'china' | 'dns';

/** What a service needs, by the name it calls each: `{ route53: ROUTE53, faults: PARTS.faults }`. */
export type ServiceNeeds = {
  // biome-ignore lint/suspicious/noExplicitAny: a need's own needs and options do not matter to the one that needs it.
  readonly [name: string]: ServiceDefinition<SandboxService, any, any> | PartNeed;
};

/**
 * What a factory is given for its needs. A needed service may not run (the global services with
 * `globalServices: false`, CloudFront without the China proxy): its handle is then undefined. A part always is.
 */
export type Handles<N extends ServiceNeeds> = {
  readonly [K in keyof N]: N[K] extends PartNeed<infer P>
    ? SandboxParts[P]
    : // biome-ignore lint/suspicious/noExplicitAny: any needs and options.
      (N[K] extends ServiceDefinition<infer H, any, any> ? H : never) | undefined;
};

/**
 * Builds the service from the shared context, its needs and its slice of the options; undefined when the
 * sandbox does not run it (CloudFront without the China proxy, the canary when its option is off).
 */
export type ServiceFactory<
  H extends SandboxService = SandboxService,
  N extends ServiceNeeds = ServiceNeeds,
  O = NoOptions,
> = (context: ServiceContext, needs: Handles<N>, options: O) => H | undefined;

export interface ServiceDefinition<
  H extends SandboxService = SandboxService,
  N extends ServiceNeeds = NoNeeds,
  O = NoOptions,
> {
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
  /** The services it needs, started before it, and the parts of the Sandbox it reaches. */
  readonly needs: N;
  /**
   * Its options, as flat fields of the sandbox's options (`new Sandbox(topology, { canary: true })`): the
   * registry parses them with this schema and hands the factory the result; a bad value stops start().
   */
  readonly options?: z.ZodType<O>;
  /** Its code, loaded while the JVM starts (imported only when the sandbox runs it). */
  load(): Promise<ServiceFactory<H, N, O>>;
}

/** A definition, checked against its factory's types. */
export function defineService<H extends SandboxService, N extends ServiceNeeds = NoNeeds, O = NoOptions>(
  definition: ServiceDefinition<H, N, O>,
): ServiceDefinition<H, N, O> {
  return definition;
}

/**
 * The running service a definition made, typed as its definition says (the one place the name is read
 * back into its type: the registry keeps each service under its definition's name).
 */
export function runningService<H extends SandboxService>(
  running: ReadonlyMap<string, SandboxService>,
  // biome-ignore lint/suspicious/noExplicitAny: any needs and options.
  definition: ServiceDefinition<H, any, any>,
): H | undefined {
  return running.get(definition.name) as H | undefined;
}
