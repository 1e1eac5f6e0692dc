/**
 * Every service the sandbox runs. Adding a service is a folder under services/ with its definition
 * (./definition.ts) and a line here; the start order follows the services each needs, then this list.
 */
import type { RegionRuntimeInfo } from '../contracts.js';
import { ANALYTICS } from './analytics/definition.js';
import { CLOUDFRONT } from './cloudfront/definition.js';
import { CLOUDWATCH } from './cloudwatch/definition.js';
import { COGNITO_IDP } from './cognito-idp/definition.js';
import type { ServiceDefinition, ServiceFactory, ServiceNeeds } from './definition.js';
import { DNS } from './dns/definition.js';
import { DYNAMODB } from './dynamodb/definition.js';
import { EVENTS } from './events/definition.js';
import { LAMBDA } from './lambda/definition.js';
import { ROUTE53 } from './route53/definition.js';
import type { SandboxService, ServiceContext } from './service.js';
import { SSM } from './ssm/definition.js';
import { STS } from './sts/definition.js';

// biome-ignore lint/suspicious/noExplicitAny: the registry holds services of every handle and needs.
export type AnyDefinition = ServiceDefinition<SandboxService, any>;

export const SERVICES: readonly AnyDefinition[] = [
  DYNAMODB,
  LAMBDA,
  STS,
  SSM,
  COGNITO_IDP,
  CLOUDWATCH,
  ANALYTICS,
  EVENTS,
  ROUTE53,
  CLOUDFRONT,
  DNS,
];

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
      if (definitions.includes(need)) visit(need);
    }
    visiting.delete(definition);
    ordered.push(definition);
  };
  for (const definition of definitions) visit(definition);
  return ordered;
}

export interface LoadedService {
  readonly definition: AnyDefinition;
  readonly create: ServiceFactory<SandboxService, ServiceNeeds>;
}

/** Loads the services to run (all, or those that are not global), in start order. */
export function loadServices(
  options: { global: boolean },
  definitions: readonly AnyDefinition[] = SERVICES,
): Promise<LoadedService[]> {
  const chosen = startOrder(definitions.filter((s) => options.global || !s.global));
  return Promise.all(chosen.map(async (definition) => ({ definition, create: await definition.load() })));
}

/**
 * Builds each service with the running services it needs, tells it of every running region, and starts
 * it, in start order; each is in `into` (by name) from the moment it is built, so the edge routes to it
 * and stopping finds it.
 */
export async function startServices(
  loaded: readonly LoadedService[],
  context: ServiceContext,
  regions: readonly RegionRuntimeInfo[],
  into: Map<string, SandboxService>,
): Promise<void> {
  for (const { definition, create } of loaded) {
    const needs = Object.fromEntries(
      Object.entries(definition.needs as ServiceNeeds).map(([key, need]) => [key, into.get(need.name)]),
    );
    const service = create(context, needs);
    if (!service) continue;
    into.set(service.name, service);
    for (const region of regions) await service.addRegion?.(region);
    await service.start?.();
  }
}
