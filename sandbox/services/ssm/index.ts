/**
 * SSM Parameter Store on the edge (JSON 1.1), GetParameter only, for the one parameter a deploy reads:
 * /cdk-bootstrap/<qualifier>/version, which `cdk bootstrap` writes in each region. The sandbox stands for an
 * account bootstrapped in every region it runs (and in us-east-1, the China proxy's); any other region, or
 * parameter, answers ParameterNotFound as SSM does, so a deploy's bootstrap check can be exercised here.
 */
import type { WireDialect } from '../../wire/dialect.js';
import { type Operations, serveRpc } from '../../wire/rpc.js';
import { ServiceError } from '../../wire/service-error.js';
import type { ServiceFactory } from '../definition.js';

/** The version of the bootstrap template the CDK toolkit in this project ships. */
export const SANDBOX_BOOTSTRAP_VERSION = 32;
const BOOTSTRAP_PARAMETER = /^\/cdk-bootstrap\/([a-z0-9_-]{1,10})\/version$/;

const DIALECT: WireDialect = { target: 'AmazonSSM', jsonVersion: '1.1' };

interface SsmContext {
  readonly account: string;
  /** True when the sandbox stands for a bootstrapped AWS region. */
  bootstrapped(awsRegion: string): boolean;
}

const OPERATIONS: Operations<SsmContext> = {
  GetParameter: (context, input, request) => {
    const name = input.Name;
    if (typeof name !== 'string' || name.length === 0) {
      throw new ServiceError(
        400,
        'ValidationException',
        "1 validation error detected: 'name' must not be null",
      );
    }
    if (!BOOTSTRAP_PARAMETER.test(name) || !context.bootstrapped(request.region)) {
      throw new ServiceError(400, 'ParameterNotFound', `Parameter ${name} not found.`);
    }
    return {
      Parameter: {
        Name: name,
        Type: 'String',
        Value: String(SANDBOX_BOOTSTRAP_VERSION),
        Version: 1,
        LastModifiedDate: 1_767_225_600,
        ARN: `arn:aws:ssm:${request.region}:${context.account}:parameter${name}`,
        DataType: 'text',
      },
    };
  },
};

/** Bootstrapped: every region the sandbox runs, and us-east-1 (the China proxy's region). */
export const createService: ServiceFactory = (context) => ({
  name: 'ssm',
  handle: (request) =>
    serveRpc(request, DIALECT, OPERATIONS, {
      account: context.account,
      bootstrapped: (awsRegion: string) =>
        awsRegion === 'us-east-1' || context.regions().some((r) => r.awsRegion === awsRegion),
    }),
});
