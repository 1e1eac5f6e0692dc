/**
 * The AWS quotas a peak runs into, with the exact Service Quotas names and codes to request an increase
 * with, and the verdict rule (one place): over above the quota, near from 80 % of it, else ok.
 */

import { LAMBDA_CONCURRENCY_QUOTA_CODE } from '../deploy/preflight.js';

export type QuotaVerdict = 'ok' | 'near' | 'over';

export interface QuotaSpec {
  /** Service Quotas service code. */
  readonly service: 'apigateway' | 'lambda' | 'dynamodb';
  /** The quota's name in Service Quotas, exactly. */
  readonly name: string;
  readonly code: string;
  readonly defaultValue: number;
  readonly unit: string;
  /** Where the default and the rule come from. */
  readonly source: string;
}

export const QUOTAS = {
  wsConnectRate: {
    service: 'apigateway',
    name: 'WebSocket new connections rate',
    code: 'L-9ED1E49A',
    defaultValue: 500,
    unit: 'new connections/s',
    source:
      'API Gateway WebSocket quotas: 500 new connections per second per account per Region, adjustable; no quota on concurrent connections, which the connect rate and the 2-hour connection limit bound',
  },
  apiThrottle: {
    service: 'apigateway',
    name: 'Throttle rate',
    code: 'L-8A5B8E43',
    defaultValue: 10_000,
    unit: 'requests/s',
    source:
      'API Gateway account-level quota: 10,000 requests per second per account per Region across HTTP, REST and WebSocket APIs and WebSocket callback (@connections) APIs',
  },
  lambdaConcurrency: {
    service: 'lambda',
    name: 'Concurrent executions',
    code: LAMBDA_CONCURRENCY_QUOTA_CODE,
    defaultValue: 1000,
    unit: 'concurrent executions',
    source:
      'Lambda: 1,000 concurrent executions per Region by default; reserved concurrency must leave 100 unreserved',
  },
  tableWrites: {
    service: 'dynamodb',
    name: 'Table-level write throughput limit',
    code: 'L-AB614373',
    defaultValue: 40_000,
    unit: 'write units/s',
    source:
      'DynamoDB: 40,000 write request units per second per on-demand table by default; replicated writes count in the replica that applies them, and the quota must be the same in every replica Region',
  },
  tableReads: {
    service: 'dynamodb',
    name: 'Table-level read throughput limit',
    code: 'L-CF0CBE56',
    defaultValue: 40_000,
    unit: 'read units/s',
    source: 'DynamoDB: 40,000 read request units per second per on-demand table by default',
  },
} as const satisfies Record<string, QuotaSpec>;

export type QuotaKey = keyof typeof QUOTAS;

/** From this share of a quota on, the verdict is `near`. */
export const NEAR_SHARE = 0.8;

export function verdict(need: number, quota: number): QuotaVerdict {
  if (need > quota) return 'over';
  if (need >= quota * NEAR_SHARE) return 'near';
  return 'ok';
}

/** What to ask for: enough that the need sits under the `near` line, rounded up to two significant digits. */
export function requestValue(need: number): number {
  const wanted = need / NEAR_SHARE;
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(wanted)) - 1);
  return Math.ceil(wanted / magnitude) * magnitude;
}
