/** CloudFront: the China proxy's distribution and the proxy, which resolves its origin through Route 53. */
import { defineService } from '../definition.js';
import { PARTS } from '../parts.js';
import { ROUTE53 } from '../route53/definition.js';
import type { CloudFrontNeeds, CloudFrontService } from './index.js';

export const CLOUDFRONT = defineService<CloudFrontService, CloudFrontNeeds>({
  name: 'cloudfront',
  protocol: 'rest-xml',
  global: true,
  ports: ['china'],
  needs: { route53: ROUTE53, listeners: PARTS.listeners },
  load: async () => (await import('./index.js')).createService,
});
