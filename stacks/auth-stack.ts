/**
 * Auth (topology.auth.mode "cognito" without the ids of an existing pool): a Cognito user pool and an app
 * client in the home region. Every region's $connect handler verifies ID tokens of this pool (the JWKS is
 * public, so verification works from any region).
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import { names } from '../core/names.js';
import type { Topology } from '../core/topology.js';
import { StackPropsError, validateTopology } from './validate.js';

export interface AuthStackProps extends StackProps {
  readonly topology: Topology;
}

export class AuthStack extends Stack {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly userPoolId: string;
  readonly userPoolClientId: string;

  constructor(scope: Construct, id: string, props: AuthStackProps) {
    const topology = validateTopology('AuthStack', props.topology);
    if (topology.auth.mode !== 'cognito' || topology.auth.userPoolId) {
      throw new StackPropsError('AuthStack', 'only for auth.mode "cognito" without an existing userPoolId');
    }
    const home = topology.regions.find((r) => r.key === topology.homeRegion)!;
    super(scope, id, {
      ...props,
      stackName: props.stackName ?? names.authStack(topology),
      env: { account: topology.account, region: home.awsRegion },
      crossRegionReferences: true,
      description: `${topology.app}: Cognito user pool of the chat's users`,
    });
    this.userPool = new UserPool(this, 'Users', {
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
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'chat users are not administrators: TOTP MFA is offered, not forced, and threat protection runs in full-function mode (adaptive authentication blocks risky sign-ins)',
    });
    this.client = this.userPool.addClient('ChatClient', {
      userPoolClientName: `${topology.app}-chat`,
      authFlows: { userSrp: true },
      generateSecret: false,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      preventUserExistenceErrors: true,
    });
    this.userPoolId = this.userPool.userPoolId;
    this.userPoolClientId = this.client.userPoolClientId;
    new CfnOutput(this, 'UserPoolId', { value: this.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClientId });
  }
}
