/**
 * One Lambda function per route and region: its own role (least privilege), log group, reserved
 * concurrency lane and the runtime environment every handler reads (core/runtime-env.ts).
 */
import { join } from 'node:path';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { OpsHandler } from '../core/observability.js';
import type { Route } from '../core/protocol.js';
import type { HandlerBundles } from './handler-bundles.js';
import { StackPropsError } from './validate.js';

/**
 * Where a function's code comes from.
 * - `bundle`: runtime/handlers/<route>.ts as bundleHandlers (stacks/handler-bundles.ts) bundled it, once for
 *   every region.
 * - `placeholder`: a tiny inline handler, for tests and for a quick synth that checks the infrastructure only.
 */
export type HandlerCode =
  | { readonly kind: 'bundle'; readonly bundles: HandlerBundles }
  | { readonly kind: 'placeholder' };

export const LAMBDA_RUNTIME = Runtime.NODEJS_22_X;

const PLACEHOLDER_SOURCE =
  "exports.handler = async () => ({ statusCode: 503, body: 'placeholder: synthesized without bundling' });";

export interface ChatFunctionProps {
  readonly functionName: string;
  readonly route: Route | OpsHandler;
  readonly code: HandlerCode;
  readonly environment: Readonly<Record<string, string>>;
  /** Reserved concurrency (the route's lane); undefined draws from the unreserved pool. */
  readonly reservedConcurrency?: number;
  readonly timeout: Duration;
  readonly memoryMiB?: number;
  readonly description: string;
}

export class ChatFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ChatFunctionProps) {
    super(scope, id);
    if (props.functionName.length > 64) {
      throw new StackPropsError(
        'ChatFunction',
        `function name "${props.functionName}" is over 64 characters`,
      );
    }
    if (props.reservedConcurrency !== undefined && props.reservedConcurrency < 1) {
      throw new StackPropsError('ChatFunction', `${props.route}: reserved concurrency must be at least 1`);
    }
    if (props.code.kind === 'bundle' && !props.code.bundles.directory.startsWith('/')) {
      throw new StackPropsError('ChatFunction', 'code.bundles.directory must be an absolute path');
    }

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role instead of the default one: the default attaches AWSLambdaBasicExecutionRole, which lets
    // the function write to any log group of the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.functionName}: ${props.route} handler`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    const common = {
      functionName: props.functionName,
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMiB ?? 256,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
    };
    this.function = new LambdaFunction(this, 'Function', {
      ...common,
      code:
        props.code.kind === 'bundle'
          ? // One folder per handler, shared by every region: the CDK stages it once (one asset per route).
            Code.fromAsset(join(props.code.bundles.directory, props.route))
          : Code.fromInline(PLACEHOLDER_SOURCE),
      handler: 'index.handler',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime the handlers are bundled for (esbuild target node22) and tested on; it is a supported Lambda runtime, moved deliberately, not by a moving "latest" alias',
    });
  }
}
