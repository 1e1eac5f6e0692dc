/**
 * Auth (topology.auth.mode "cognito"), in the user pool's region: the pool itself and the chat's app client
 * when chatctl.json names no existing pool (then in the home region), and in either case what the chat canary
 * needs to sign in as a user (stacks/canary-auth.ts): its own app client, its probe user's password generated
 * by Secrets Manager and replicated to every chat region, and the deploy-time resource that makes the probe
 * user. Every region's $connect verifies ID tokens of this pool (the JWKS is public, so verification works
 * from any region).
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  type IUserPool,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
  type UserPoolClientOptions,
} from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import { names } from '../core/names.js';
import type { Topology } from '../core/topology.js';
import { userPoolRegion } from '../core/user-pool.js';
import { CanaryAuth } from './canary-auth.js';
import type { HandlerCode } from './chat-function.js';
import type { StackAuth } from './runtime-environment.js';
import { StackPropsError, validateTopology } from './validate.js';

/**
 * The chat's app client allows only what the chat uses: SRP sign-in through the API and, when the topology
 * names callback URLs, Cognito's hosted sign-in by authorization code (the client has no secret, so it sends a
 * PKCE code challenge) with the one scope a chat identity needs, openid (the token's sub). Never the implicit
 * grant (tokens in a URL fragment, legacy) and never CDK's defaults (both grants, https://example.com, every
 * scope including aws.cognito.signin.user.admin). Without callback URLs it has no OAuth at all.
 */
export function chatClientOAuth(topology: Topology): Pick<UserPoolClientOptions, 'oAuth' | 'disableOAuth'> {
  const callbackUrls = topology.auth.callbackUrls;
  if (!callbackUrls?.length) return { disableOAuth: true };
  return {
    oAuth: {
      flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
      scopes: [OAuthScope.OPENID],
      callbackUrls: [...callbackUrls],
    },
  };
}

export interface AuthStackProps extends StackProps {
  readonly topology: Topology;
  /** The probe-user function's code. */
  readonly code: HandlerCode;
}

export class AuthStack extends Stack {
  readonly userPool: IUserPool;
  /** The chat's app client, when this stack creates the pool. */
  readonly client?: UserPoolClient;
  readonly canaryAuth: CanaryAuth;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  /** What the region stacks pass their functions (the ids cross regions as references). */
  readonly stackAuth: Extract<StackAuth, { mode: 'cognito' }>;

  constructor(scope: Construct, id: string, props: AuthStackProps) {
    const topology = validateTopology('AuthStack', props.topology);
    if (topology.auth.mode !== 'cognito') {
      throw new StackPropsError('AuthStack', 'only for auth.mode "cognito"');
    }
    const existing = topology.auth.userPoolId;
    const home = topology.regions.find((r) => r.key === topology.homeRegion)!;
    const region = existing ? userPoolRegion(existing) : home.awsRegion;
    const replicaRegion = topology.regions.find((r) => r.key === topology.auth.replicaRegion)?.awsRegion;
    super(scope, id, {
      ...props,
      stackName: props.stackName ?? names.authStack(topology),
      env: { account: topology.account, region },
      crossRegionReferences: true,
      description: existing
        ? `${topology.app}: the chat canary's app client and probe user in the Cognito user pool ${existing}`
        : `${topology.app}: Cognito user pool of the chat's users`,
    });
    if (existing) {
      this.userPool = UserPool.fromUserPoolId(this, 'Users', existing);
      this.userPoolId = existing;
      this.userPoolClientId = topology.auth.userPoolClientId as string;
    } else {
      const pool = this.createPool(topology);
      this.userPool = pool;
      this.client = pool.addClient('ChatClient', {
        userPoolClientName: `${topology.app}-chat`,
        authFlows: { userSrp: true },
        generateSecret: false,
        ...chatClientOAuth(topology),
        idTokenValidity: Duration.hours(1),
        accessTokenValidity: Duration.hours(1),
        refreshTokenValidity: Duration.days(30),
        preventUserExistenceErrors: true,
      });
      this.userPoolId = pool.userPoolId;
      this.userPoolClientId = this.client.userPoolClientId;
      new CfnOutput(this, 'UserPoolId', { value: this.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClientId });
    }
    this.canaryAuth = new CanaryAuth(this, 'Canary', {
      topology,
      userPool: this.userPool,
      code: props.code,
      replicaRegions: topology.regions.map((r) => r.awsRegion).filter((r) => r !== region),
    });
    new CfnOutput(this, 'CanaryClientId', { value: this.canaryAuth.client.userPoolClientId });
    this.stackAuth = {
      mode: 'cognito',
      userPoolId: this.userPoolId,
      userPoolClientId: this.userPoolClientId,
      canary: {
        clientId: this.canaryAuth.client.userPoolClientId,
        username: this.canaryAuth.username,
        passwordSecretName: this.canaryAuth.passwordSecretName,
        userPoolRegion: region,
        ...(replicaRegion ? { replicaRegion } : {}),
      },
    };
  }

  private createPool(topology: Topology): UserPool {
    const pool = new UserPool(this, 'Users', {
      userPoolName: `${topology.app}-chat-users`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'chat users are not administrators: TOTP MFA is offered, not forced, and threat protection runs in full-function mode (adaptive authentication blocks risky sign-ins)',
    });
    return pool;
  }
}
