/** CloudFront: the China proxy's distribution and the proxy, which resolves its origin through Route 53. */
import { defineService } from '../definition.js';
import { ROUTE53 } from '../route53/definition.js';
import type { CloudFrontService } from './index.js';

export const CLOUDFRONT = defineService<CloudFrontService, { route53: typeof ROUTE53 }>({
  name: 'cloudfront',
  protocol: 'rest-xml',
  global: true,
  ports: ['china'],
  needs: { route53: ROUTE53 },
  load: async () => (await import('./index.js')).createService,
});
