/**
 * Cognito user pools on the edge (JSON 1.1, X-Amz-Target AWSCognitoIdentityProviderService.*), the part the
 * chat's Cognito mode uses: CreateUserPool and CreateUserPoolClient (to stand a pool up), AdminCreateUser,
 * AdminSetUserPassword, AdminGetUser and AdminDeleteUser (the canary's probe user, made at deploy), and
 * AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH (the canary's sign-in). Tokens are RS256 JWTs signed with
 * the pool's own key, with Cognito's claims and issuer, so the runtime's verifier (aws-jwt-verify) checks them
 * as it checks AWS's, once hydrated with `jwks(poolId)`. Answers and errors follow Cognito's: a user not
 * found, a wrong password, a flow the client does not allow, a FORCE_CHANGE_PASSWORD user's challenge.
 * Pools live as long as the sandbox and are per AWS region (the id's prefix), as on AWS.
 */
import { generateKeyPairSync, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import type { EdgeRequest } from '../../contracts.js';
import type { WireDialect, WireInput } from '../../wire/dialect.js';
import { type Operations, serveRpc } from '../../wire/rpc.js';
import { ServiceError } from '../../wire/service-error.js';
import type { ServiceFactory } from '../definition.js';
import type { PartNeed } from '../parts.js';
import type { SandboxService } from '../service.js';
import { type Call, poolOf, text } from './call.js';
import type { AuthFlow, ClientRecord, PoolRecord, ReplicaStatus, UserRecord } from './model.js';
import { REPLICA_OPERATIONS } from './replicas.js';
import { issuerOf, jwksOf, seconds, tokens } from './tokens.js';

export interface CognitoIdpService extends SandboxService {
  /** The pool's JSON Web Key Set, as https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json serves it. */
  jwks(userPoolId: string): { keys: Record<string, string>[] };
  /**
   * What a GET of a pool's JWKS URL (<issuer>/.well-known/jwks.json, either issuer form) answers: the key set,
   * or an error while the region of the URL's host is impaired. The runtime's tests fetch through it.
   */
  fetchJwks(uri: string): { keys: Record<string, string>[] };
  /** A fault: every call to Cognito in `region` (an AWS region) fails with InternalErrorException, and its JWKS URLs too. */
  impair(region: string, impaired: boolean): void;
}

/** The `cognito-down` fault of a region key impairs Cognito in that region's AWS region. */
export type CognitoIdpNeeds = { faults: PartNeed<'faults'> };

export const createService: ServiceFactory<CognitoIdpService, CognitoIdpNeeds> = (context, { faults }) =>
  createCognitoIdp(context.account, (awsRegion) =>
    context.regions().some((r) => r.awsRegion === awsRegion && faults.active(r.key, 'cognito-down')),
  );

export function createCognitoIdp(
  account: string,
  faulted: (awsRegion: string) => boolean = () => false,
): CognitoIdpService {
  const pools = new Map<string, PoolRecord>();
  const impairedByCall = new Set<string>();
  const impaired = { has: (awsRegion: string) => impairedByCall.has(awsRegion) || faulted(awsRegion) };
  return {
    name: 'cognito-idp',
    handle: (request) => serveRpc(request, DIALECT, RPC_OPERATIONS, { pools, account, impaired }),
    jwks(userPoolId) {
      const pool = pools.get(userPoolId);
      if (!pool) throw new Error(`no user pool ${userPoolId} in the sandbox`);
      return jwksOf(pool);
    },
    fetchJwks(uri) {
      const match =
        /^https:\/\/(?:issuer-)?cognito-idp\.([a-z0-9-]+)\.amazonaws\.com\/([^/]+)\/\.well-known\/jwks\.json$/.exec(
          uri,
        );
      if (!match) throw new Error(`${uri} is not a Cognito JWKS URL`);
      const [, region, id] = match;
      if (impaired.has(region)) throw new Error(`${uri}: Cognito in ${region} is impaired (a sandbox fault)`);
      const pool = pools.get(id);
      if (!pool || !uri.startsWith(issuerOf(pool))) throw new Error(`${uri}: 404 Not Found`);
      return jwksOf(pool);
    },
    impair(region, on) {
      if (on) impairedByCall.add(region);
      else impairedByCall.delete(region);
    },
  };
}

const DIALECT: WireDialect = { target: 'AWSCognitoIdentityProviderService', jsonVersion: '1.1' };

function userOf(pool: PoolRecord, username: string): UserRecord {
  const user = pool.findUser(username);
  if (!user) throw new ServiceError(400, 'UserNotFoundException', 'User does not exist.');
  return user;
}

function userShape(user: UserRecord) {
  return {
    Username: user.username,
    Attributes: Object.entries(user.attributes).map(([Name, Value]) => ({ Name, Value })),
    UserCreateDate: seconds(user.created),
    UserLastModifiedDate: seconds(user.modified),
    Enabled: user.enabled,
    UserStatus: user.status,
  };
}

function checkPassword(pool: PoolRecord, password: string): void {
  const problems: string[] = [];
  if (password.length < pool.minPasswordLength) problems.push('Password not long enough');
  if (!/[a-z]/.test(password)) problems.push('Password must have lowercase characters');
  if (!/[A-Z]/.test(password)) problems.push('Password must have uppercase characters');
  if (!/[0-9]/.test(password)) problems.push('Password must have numeric characters');
  if (!/[^A-Za-z0-9]/.test(password)) problems.push('Password must have symbol characters');
  if (problems.length > 0) {
    throw new ServiceError(
      400,
      'InvalidPasswordException',
      `Password did not conform with policy: ${problems[0]}`,
    );
  }
}

const VALIDITY_UNIT_SECONDS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

const OPERATIONS: Readonly<Record<string, (call: Call) => WireInput | undefined>> = {
  CreateUserPool(call) {
    const name = text(call.input, 'PoolName');
    const id = `${call.request.region}_${randomBytes(6).toString('base64url').replace(/[-_]/g, 'x').slice(0, 9)}`;
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const attributes = (call.input.UsernameAttributes as string[] | undefined) ?? [];
    const policy = (call.input.Policies as { PasswordPolicy?: { MinimumLength?: number } } | undefined)
      ?.PasswordPolicy;
    const issuer = (call.input.IssuerConfiguration as { Type?: string } | undefined)?.Type;
    const pool = new PoolRecordImpl(
      id,
      name,
      call.request.region,
      issuer === 'UPDATED' ? 'UPDATED' : 'ORIGINAL',
      publicKey,
      privateKey,
      attributes,
      policy?.MinimumLength ?? 8,
    );
    call.pools.set(id, pool);
    return {
      UserPool: {
        Id: id,
        Name: name,
        Arn: `arn:aws:cognito-idp:${pool.region}:${call.account}:userpool/${id}`,
        UsernameAttributes: attributes,
        IssuerConfiguration: { Type: pool.issuer },
        CreationDate: seconds(Date.now()),
      },
    };
  },
  CreateUserPoolClient(call) {
    const pool = poolOf(call, 'write');
    const name = text(call.input, 'ClientName');
    if (call.input.GenerateSecret === true) {
      throw new ServiceError(
        400,
        'InvalidParameterException',
        "the chatctl sandbox's Cognito makes clients without a secret only",
      );
    }
    const flows = ((call.input.ExplicitAuthFlows as string[] | undefined) ?? []) as AuthFlow[];
    const units = (call.input.TokenValidityUnits as Record<string, string> | undefined) ?? {};
    const validity = (field: string, unitField: string, fallbackHours: number) => {
      const value = call.input[field];
      return typeof value === 'number'
        ? value * VALIDITY_UNIT_SECONDS[units[unitField] ?? 'hours']
        : fallbackHours * 3600;
    };
    const client: ClientRecord = {
      id: randomBytes(13).toString('hex').slice(0, 26),
      name,
      flows,
      preventUserExistenceErrors: call.input.PreventUserExistenceErrors === 'ENABLED',
      idTokenSeconds: validity('IdTokenValidity', 'IdToken', 1),
      accessTokenSeconds: validity('AccessTokenValidity', 'AccessToken', 1),
    };
    pool.clients.set(client.id, client);
    return {
      UserPoolClient: {
        UserPoolId: pool.id,
        ClientName: name,
        ClientId: client.id,
        ExplicitAuthFlows: flows,
      },
    };
  },
  AdminCreateUser(call) {
    const pool = poolOf(call, 'write');
    const username = text(call.input, 'Username');
    const action = call.input.MessageAction;
    if (action !== undefined && action !== 'SUPPRESS' && action !== 'RESEND') {
      throw new ServiceError(
        400,
        'InvalidParameterException',
        `MessageAction ${String(action)} is not SUPPRESS or RESEND`,
      );
    }
    if (action !== 'SUPPRESS') {
      throw new ServiceError(
        400,
        'InvalidParameterException',
        "the chatctl sandbox's Cognito sends no invitations: pass MessageAction SUPPRESS",
      );
    }
    const temporary =
      text(call.input, 'TemporaryPassword', false) || `Tmp-${randomBytes(9).toString('base64url')}1a`;
    checkPassword(pool, temporary);
    const attributes = Object.fromEntries(
      ((call.input.UserAttributes as { Name: string; Value: string }[] | undefined) ?? []).map((a) => [
        a.Name,
        a.Value,
      ]),
    );
    return { User: userShape(pool.createUser(username, attributes, temporary)) };
  },
  AdminSetUserPassword(call) {
    const pool = poolOf(call, 'write');
    const user = userOf(pool, text(call.input, 'Username'));
    const password = text(call.input, 'Password');
    checkPassword(pool, password);
    user.password = password;
    user.status = call.input.Permanent === true ? 'CONFIRMED' : 'FORCE_CHANGE_PASSWORD';
    user.modified = Date.now();
    return {};
  },
  AdminGetUser(call) {
    const pool = poolOf(call);
    const user = userShape(userOf(pool, text(call.input, 'Username')));
    return {
      Username: user.Username,
      UserAttributes: user.Attributes,
      UserCreateDate: user.UserCreateDate,
      UserLastModifiedDate: user.UserLastModifiedDate,
      Enabled: user.Enabled,
      UserStatus: user.UserStatus,
    };
  },
  AdminDeleteUser(call) {
    const pool = poolOf(call, 'write');
    pool.deleteUser(userOf(pool, text(call.input, 'Username')));
    return {};
  },
  AdminInitiateAuth(call) {
    const pool = poolOf(call);
    const clientId = text(call.input, 'ClientId');
    const client = pool.clients.get(clientId);
    if (!client)
      throw new ServiceError(
        400,
        'ResourceNotFoundException',
        `User pool client ${clientId} does not exist.`,
      );
    const flow = text(call.input, 'AuthFlow');
    if (flow !== 'ADMIN_USER_PASSWORD_AUTH' && flow !== 'ADMIN_NO_SRP_AUTH') {
      throw new ServiceError(
        400,
        'InvalidParameterException',
        `the chatctl sandbox's Cognito serves ADMIN_USER_PASSWORD_AUTH only (got ${flow})`,
      );
    }
    if (!client.flows.includes('ALLOW_ADMIN_USER_PASSWORD_AUTH')) {
      throw new ServiceError(400, 'InvalidParameterException', 'Auth flow not enabled for this client');
    }
    const parameters = (call.input.AuthParameters as Record<string, string> | undefined) ?? {};
    if (!parameters.USERNAME)
      throw new ServiceError(400, 'InvalidParameterException', 'Missing required parameter USERNAME');
    if (!parameters.PASSWORD)
      throw new ServiceError(400, 'InvalidParameterException', 'Missing required parameter PASSWORD');
    const user = pool.findUser(parameters.USERNAME);
    if (!user) {
      if (client.preventUserExistenceErrors)
        throw new ServiceError(400, 'NotAuthorizedException', 'Incorrect username or password.');
      throw new ServiceError(400, 'UserNotFoundException', 'User does not exist.');
    }
    if (!user.enabled) throw new ServiceError(400, 'NotAuthorizedException', 'User is disabled.');
    if (user.password !== parameters.PASSWORD)
      throw new ServiceError(400, 'NotAuthorizedException', 'Incorrect username or password.');
    if (user.status === 'FORCE_CHANGE_PASSWORD') {
      return {
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: randomBytes(48).toString('base64url'),
        ChallengeParameters: {
          USER_ID_FOR_SRP: user.username,
          requiredAttributes: '[]',
          userAttributes: JSON.stringify(user.attributes),
        },
      };
    }
    return { ChallengeParameters: {}, AuthenticationResult: tokens(pool, client, user) };
  },
};

class PoolRecordImpl implements PoolRecord {
  readonly clients = new Map<string, ClientRecord>();
  readonly replicas = new Map<string, ReplicaStatus>();
  readonly kid = randomBytes(16).toString('base64url');
  private readonly users = new Map<string, UserRecord>();

  constructor(
    readonly id: string,
    readonly name: string,
    readonly region: string,
    readonly issuer: 'ORIGINAL' | 'UPDATED',
    readonly publicKey: KeyObject,
    readonly privateKey: KeyObject,
    /** ["email"]: users sign in with their address, and their username is their sub. */
    readonly usernameAttributes: readonly string[],
    readonly minPasswordLength: number,
  ) {}

  findUser(name: string): UserRecord | undefined {
    const key = name.toLowerCase();
    return (
      this.users.get(key) ?? [...this.users.values()].find((u) => u.attributes.email?.toLowerCase() === key)
    );
  }

  createUser(name: string, attributes: Record<string, string>, temporaryPassword: string): UserRecord {
    if (this.findUser(name))
      throw new ServiceError(400, 'UsernameExistsException', 'User account already exists');
    const sub = randomUUID();
    const byEmail = this.usernameAttributes.includes('email');
    if (byEmail && !/^[^@\s]+@[^@\s]+$/.test(name)) {
      throw new ServiceError(400, 'InvalidParameterException', 'Username should be an email.');
    }
    const user: UserRecord = {
      username: byEmail ? sub : name,
      sub,
      attributes: { ...attributes, sub, ...(byEmail ? { email: name } : {}) },
      password: temporaryPassword,
      status: 'FORCE_CHANGE_PASSWORD',
      enabled: true,
      created: Date.now(),
      modified: Date.now(),
    };
    this.users.set(user.username.toLowerCase(), user);
    return user;
  }

  deleteUser(user: UserRecord): void {
    this.users.delete(user.username.toLowerCase());
  }
}

type Context = Pick<Call, 'pools' | 'account'> & {
  readonly impaired: { has(awsRegion: string): boolean };
};

/** Each operation as the wire runs it: the pools and account, with this request's input; none in an impaired region. */
const RPC_OPERATIONS: Operations<Context> = Object.fromEntries(
  Object.entries({ ...OPERATIONS, ...REPLICA_OPERATIONS }).map(([name, run]) => [
    name,
    ({ impaired, ...context }: Context, input: WireInput, request: EdgeRequest) => {
      if (impaired.has(request.region)) {
        throw new ServiceError(
          500,
          'InternalErrorException',
          `Cognito in ${request.region} is impaired (a sandbox fault).`,
        );
      }
      return run({ ...context, input, request });
    },
  ]),
);
