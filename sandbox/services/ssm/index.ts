/**
 * SSM Parameter Store on the edge (JSON 1.1), GetParameter only, for the one parameter a deploy reads:
 * /cdk-bootstrap/<qualifier>/version, which `cdk bootstrap` writes in each region. The sandbox stands for an
 * account bootstrapped in every region it runs (and in us-east-1, the China proxy's); any other region, or
 * parameter, answers ParameterNotFound as SSM does, so a deploy's bootstrap check can be exercised here.
 */
import { randomUUID } from 'node:crypto';
import type { EdgeRequest, EdgeResponse } from '../../contracts.js';
import { PrototypeKeyError, parseJsonRefusingPrototypeKeys } from '../../wire/keys.js';
import type { ServiceFactory } from '../service.js';

/** The version of the bootstrap template the CDK toolkit in this project ships. */
export const SANDBOX_BOOTSTRAP_VERSION = 32;
const BOOTSTRAP_PARAMETER = /^\/cdk-bootstrap\/([a-z0-9_-]{1,10})\/version$/;

/** Bootstrapped: every region the sandbox runs, and us-east-1 (the China proxy's region). */
export const createService: ServiceFactory = (context) => ({
  name: 'ssm',
  handle: (request) =>
    getParameter(request, {
      account: context.account,
      bootstrapped: (awsRegion) =>
        awsRegion === 'us-east-1' || context.regions().some((r) => r.awsRegion === awsRegion),
    }),
});

interface SsmServiceOptions {
  readonly account: string;
  /** True when the sandbox stands for a bootstrapped AWS region. */
  bootstrapped(awsRegion: string): boolean;
}

function answer(status: number, body: unknown): EdgeResponse {
  return {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify(body),
  };
}

const error = (status: number, type: string, message: string) => answer(status, { __type: type, message });

async function getParameter(request: EdgeRequest, options: SsmServiceOptions): Promise<EdgeResponse> {
  const target = String(request.headers['x-amz-target'] ?? '');
  if (target !== 'AmazonSSM.GetParameter') {
    return error(
      400,
      'UnknownOperationException',
      `the chatctl sandbox's SSM serves GetParameter only (got ${target || 'no X-Amz-Target'})`,
    );
  }
  let name: unknown;
  try {
    name = (parseJsonRefusingPrototypeKeys(request.body.toString('utf8') || '{}') as { Name?: unknown }).Name;
  } catch (thrown) {
    if (thrown instanceof PrototypeKeyError) return error(400, 'SerializationException', thrown.message);
    return error(400, 'SerializationException', 'the body is not valid JSON');
  }
  if (typeof name !== 'string' || name.length === 0) {
    return error(400, 'ValidationException', "1 validation error detected: 'name' must not be null");
  }
  if (!BOOTSTRAP_PARAMETER.test(name) || !options.bootstrapped(request.region)) {
    return error(400, 'ParameterNotFound', `Parameter ${name} not found.`);
  }
  return answer(200, {
    Parameter: {
      Name: name,
      Type: 'String',
      Value: String(SANDBOX_BOOTSTRAP_VERSION),
      Version: 1,
      LastModifiedDate: 1_767_225_600,
      ARN: `arn:aws:ssm:${request.region}:${options.account}:parameter${name}`,
      DataType: 'text',
    },
  });
}
