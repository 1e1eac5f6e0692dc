/**
 * Every service the sandbox runs. Adding a service is a folder under services/ with its definition
 * (./definition.ts) and a line here; the start order follows the services each needs, then this list, and
 * the sandbox's options take each service's slice (SandboxOptions is composed from them: ../options.ts).
 */
import { UserError } from '../../core/errors.js';
import type { RegionRuntimeInfo } from '../contracts.js';
import { ANALYTICS } from './analytics/definition.js';
import { CANARY } from './canary/definition.js';
import { CLOUDFRONT } from './cloudfront/definition.js';
import { CLOUDWATCH } from './cloudwatch/definition.js';
import { COGNITO_IDP } from './cognito-idp/definition.js';
import type { Handles, ServiceDefinition, ServiceFactory, ServiceNeeds } from './definition.js';
import { DNS } from './dns/definition.js';
import { DYNAMODB } from './dynamodb/definition.js';
import { EVENTS } from './events/definition.js';
import { LAMBDA } from './lambda/definition.js';
import { isPartNeed, type SandboxParts } from './parts.js';
import { ROUTE53 } from './route53/definition.js';
import type { SandboxService, ServiceContext } from './service.js';
import { SSM } from './ssm/definition.js';
import { STS } from './sts/definition.js';
import { SURGE } from './surge/definition.js';

// biome-ignore lint/suspicious/noExplicitAny: the registry holds services of every handle, needs and options.
export type AnyDefinition = ServiceDefinition<SandboxService, any, any>;

const LIST = [
  DYNAMODB,
  LAMBDA,
  STS,
  SSM,
  COGNITO_IDP,
  CLOUDWATCH,
  CANARY,
  ANALYTICS,
  EVENTS,
  ROUTE53,
  CLOUDFRONT,
  DNS,
  SURGE,
] as const;

export const SERVICES: readonly AnyDefinition[] = LIST;

// biome-ignore lint/suspicious/noExplicitAny: any handle and needs.
type OptionsOf<D> = D extends ServiceDefinition<any, any, infer O> ? O : never;
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** Every service's options, as the sandbox's options take them (flat). */
export type ServiceOptions = Intersection<OptionsOf<(typeof LIST)[number]>>;

/** The definitions in start order: each after every service it needs, otherwise in the order given. */
export function startOrder(definitions: readonly AnyDefinition[]): AnyDefinition[] {
  const ordered: AnyDefinition[] = [];
  const visiting = new Set<AnyDefinition>();
  const visit = (definition: AnyDefinition) => {
    if (ordered.includes(definition)) return;
    if (visiting.has(definition))
      throw new Error(`the sandbox's services need each other: ${definition.name}`);
    visiting.add(definition);
    for (const need of Object.values(definition.needs as ServiceNeeds)) {
      if (!isPartNeed(need) && definitions.includes(need)) visit(need);
    }
    visiting.delete(definition);
    ordered.push(definition);
  };
  for (const definition of definitions) visit(definition);
  return ordered;
}

export interface LoadedService {
  readonly definition: AnyDefinition;
  // biome-ignore lint/suspicious/noExplicitAny: each factory takes its own options.
  readonly create: ServiceFactory<SandboxService, ServiceNeeds, any>;
}

/** Loads the services to run (all, or those that are not global), in start order. */
export function loadServices(
  options: { global: boolean },
  definitions: readonly AnyDefinition[] = SERVICES,
): Promise<LoadedService[]> {
  const chosen = startOrder(definitions.filter((s) => options.global || !s.global));
  return Promise.all(chosen.map(async (definition) => ({ definition, create: await definition.load() })));
}

/** A service's slice of the sandbox's options, parsed by its schema; a bad value is a UserError naming it. */
export function optionsSlice(definition: AnyDefinition, options: object): unknown {
  if (!definition.options) return {};
  const result = definition.options.safeParse(options);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new UserError(`the sandbox's option ${issue.path.join('.')} is wrong: ${issue.message}`, {
    hint: `an option of ${definition.name} (sandbox/services/registry.ts)`,
  });
}

/**
 * Builds each service with its slice of `options`, the running services and the parts it needs, tells it
 * of every running region, and starts it, in start order; each is in `into` (by name) from the moment it
 * is built, so the edge routes to it and stopping finds it. Every slice is parsed before any service is built.
 */
export async function startServices(
  loaded: readonly LoadedService[],
  shared: { readonly context: ServiceContext; readonly parts: SandboxParts; readonly options: object },
  regions: readonly RegionRuntimeInfo[],
  into: Map<string, SandboxService>,
): Promise<void> {
  const slices = loaded.map(({ definition }) => optionsSlice(definition, shared.options));
  for (const [i, { definition, create }] of loaded.entries()) {
    const needs = Object.fromEntries(
      Object.entries(definition.needs as ServiceNeeds).map(([key, need]) => [
        key,
        isPartNeed(need) ? shared.parts[need.part] : into.get(need.name),
      ]),
    );
    const service = create(shared.context, needs as Handles<ServiceNeeds>, slices[i]);
    if (!service) continue;
    into.set(service.name, service);
    for (const region of regions) await service.addRegion?.(region);
    await service.start?.();
  }
}
