/**
 * Every service the sandbox's edge serves, in start order. Adding a service is a folder under services/
 * exporting a ServiceFactory as `createService`, and a line here.
 */
import type { RegionRuntimeInfo } from '../contracts.js';
import type { SandboxService, ServiceContext, ServiceDefinition, ServiceFactory } from './service.js';

export const SERVICES: readonly ServiceDefinition[] = [
  { name: 'dynamodb', load: async () => (await import('./dynamodb/index.js')).createService },
  { name: 'lambda', load: async () => (await import('./lambda/index.js')).createService },
  { name: 'sts', load: async () => (await import('./sts/index.js')).createService },
  { name: 'ssm', load: async () => (await import('./ssm/index.js')).createService },
  { name: 'cognito-idp', load: async () => (await import('./cognito-idp/index.js')).createService },
  { name: 'monitoring', load: async () => (await import('./cloudwatch/index.js')).createService },
  { name: 'firehose', load: async () => (await import('./analytics/index.js')).createService },
  { name: 'events', load: async () => (await import('./events/index.js')).createService },
  { name: 'route53', global: true, load: async () => (await import('./route53/index.js')).createService },
  {
    name: 'cloudfront',
    global: true,
    load: async () => (await import('./cloudfront/index.js')).createService,
  },
  { name: 'dns', global: true, load: async () => (await import('./dns/index.js')).createService },
];

/** Loads the factories of the services to run (all, or those that are not global). */
export function loadServices(options: { global: boolean }): Promise<ServiceFactory[]> {
  return Promise.all(SERVICES.filter((s) => options.global || !s.global).map((s) => s.load()));
}

/**
 * Builds each service, tells it of every running region, and starts it, in registry order; each is in
 * `into` (by name) from the moment it is built, so the edge routes to it and stopping finds it.
 */
export async function startServices(
  factories: readonly ServiceFactory[],
  context: ServiceContext,
  regions: readonly RegionRuntimeInfo[],
  into: Map<string, SandboxService>,
): Promise<void> {
  for (const create of factories) {
    const service = create(context);
    if (!service) continue;
    into.set(service.name, service);
    for (const region of regions) await service.addRegion?.(region);
    await service.start?.();
  }
}
