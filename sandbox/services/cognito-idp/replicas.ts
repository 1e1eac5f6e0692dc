/**
 * Cognito's multi-Region replication of a user pool: CreateUserPoolReplica (in the primary region), Update-
 * (either region) and ListUserPoolReplicas. As AWS documents it: a pool has at most one secondary, which must use
 * the updated issuer (so tokens verify the same everywhere), starts INACTIVE and serves end users once ACTIVE;
 * it shares the users, app clients and signing key, and refuses writes to the user directory (./call.ts).
 */
import type { WireInput } from '../../wire/dialect.js';
import { ServiceError } from '../../wire/service-error.js';
import { type Call, text } from './call.js';
import type { PoolRecord, ReplicaStatus } from './model.js';

/** AWS: "each user directory can have at most one secondary replica in another Region". */
export const MAX_SECONDARY_REPLICAS = 1;

function poolAnywhere(call: Call): PoolRecord {
  const id = text(call.input, 'UserPoolId');
  const pool = call.pools.get(id);
  if (!pool || (pool.region !== call.request.region && !pool.replicas.has(call.request.region))) {
    throw new ServiceError(400, 'ResourceNotFoundException', `User pool ${id} does not exist.`);
  }
  return pool;
}

function shape(call: Call, pool: PoolRecord, region: string, status: ReplicaStatus, primary: boolean) {
  return {
    RegionName: region,
    Status: status,
    Role: primary ? 'PRIMARY' : 'SECONDARY',
    UserPoolArn: `arn:aws:cognito-idp:${region}:${call.account}:userpool/${pool.id}`,
  };
}

export const REPLICA_OPERATIONS: Readonly<Record<string, (call: Call) => WireInput | undefined>> = {
  CreateUserPoolReplica(call) {
    const pool = poolAnywhere(call);
    const region = text(call.input, 'RegionName');
    if (pool.region !== call.request.region) {
      throw new ServiceError(
        400,
        'InvalidParameterException',
        'Replicas are created from the primary region.',
      );
    }
    if (region === pool.region || pool.replicas.has(region)) {
      throw new ServiceError(
        400,
        'InvalidParameterException',
        `User pool ${pool.id} is already in ${region}.`,
      );
    }
    if (pool.replicas.size >= MAX_SECONDARY_REPLICAS) {
      throw new ServiceError(
        400,
        'LimitExceededException',
        `User pool ${pool.id} already has its ${MAX_SECONDARY_REPLICAS} secondary replica.`,
      );
    }
    if (pool.issuer !== 'UPDATED') {
      throw new ServiceError(
        400,
        'InvalidParameterException',
        'Multi-Region replication needs the updated issuer: set IssuerConfiguration Type UPDATED first.',
      );
    }
    pool.replicas.set(region, 'INACTIVE');
    return { UserPoolReplica: shape(call, pool, region, 'INACTIVE', false) };
  },
  UpdateUserPoolReplica(call) {
    const pool = poolAnywhere(call);
    const region = text(call.input, 'RegionName');
    const status = text(call.input, 'Status');
    if (status !== 'ACTIVE' && status !== 'INACTIVE') {
      throw new ServiceError(400, 'InvalidParameterException', `Status ${status} is not ACTIVE or INACTIVE.`);
    }
    if (!pool.replicas.has(region)) {
      throw new ServiceError(
        400,
        'ResourceNotFoundException',
        `User pool ${pool.id} has no replica in ${region}.`,
      );
    }
    pool.replicas.set(region, status);
    return { UserPoolReplica: shape(call, pool, region, status, false) };
  },
  ListUserPoolReplicas(call) {
    const pool = poolAnywhere(call);
    return {
      UserPoolReplicas: [
        shape(call, pool, pool.region, 'ACTIVE', true),
        ...[...pool.replicas].map(([region, status]) => shape(call, pool, region, status, false)),
      ],
    };
  },
};
