/**
 * One Cognito call as the operations see it, and the lookups every operation shares. A pool answers in its
 * primary region and, through an ACTIVE replica, in its secondary region for what a secondary serves (sign-in,
 * reads); writes to the user directory go to the primary, as on AWS (./replicas.ts).
 */
import type { EdgeRequest } from '../../contracts.js';
import { ServiceError } from '../../wire/service-error.js';
import type { PoolRecord } from './model.js';

export interface Call {
  readonly pools: Map<string, PoolRecord>;
  readonly account: string;
  readonly request: EdgeRequest;
  readonly input: Record<string, unknown>;
}

export function text(input: Record<string, unknown>, field: string, required = true): string {
  const value = input[field];
  if (typeof value === 'string' && value.length > 0) return value;
  if (!required && value === undefined) return '';
  throw new ServiceError(
    400,
    'InvalidParameterException',
    `1 validation error detected: Value at '${field[0].toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must not be null`,
  );
}

export function poolOf(call: Call, use: 'read' | 'write' = 'read'): PoolRecord {
  const id = text(call.input, 'UserPoolId');
  const pool = call.pools.get(id);
  const region = call.request.region;
  const replica = pool?.replicas.get(region);
  if (!pool || (pool.region !== region && !replica)) {
    throw new ServiceError(400, 'ResourceNotFoundException', `User pool ${id} does not exist.`);
  }
  if (pool.region === region) return pool;
  // A secondary: AWS says it serves no user creation, password change or profile change, and nothing for end
  // users while INACTIVE. (The error codes are the sandbox's choice; AWS documents the rule, not the code.)
  if (use === 'write') {
    throw new ServiceError(
      400,
      'InvalidParameterException',
      `User pool ${id} is a secondary replica in ${region}: users are created and changed in its primary region ${pool.region}.`,
    );
  }
  if (replica !== 'ACTIVE') {
    throw new ServiceError(
      400,
      'InvalidParameterException',
      `The replica of user pool ${id} in ${region} is ${replica}: activate it (UpdateUserPoolReplica Status ACTIVE) before end users sign in there.`,
    );
  }
  return pool;
}
