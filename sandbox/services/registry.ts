/**
 * Every service the sandbox's edge serves, in start order. Adding a service is a folder under services/
 * exporting a ServiceFactory as `createService`, and a line here.
 */
import type { ServiceDefinition } from './service.js';

export const SERVICES: readonly ServiceDefinition[] = [
  { name: 'dynamodb', load: async () => (await import('./dynamodb/index.js')).createService },
  { name: 'lambda', load: async () => (await import('./lambda/index.js')).createService },
  { name: 'sts', load: async () => (await import('./sts/index.js')).createService },
  { name: 'ssm', load: async () => (await import('./ssm/index.js')).createService },
  { name: 'route53', global: true, load: async () => (await import('./route53/index.js')).createService },
  {
    name: 'cloudfront',
    global: true,
    load: async () => (await import('./cloudfront/index.js')).createService,
  },
];
