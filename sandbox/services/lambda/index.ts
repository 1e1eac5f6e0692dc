/**
 * Lambda Invoke on the edge (REST-JSON: POST /2015-03-31/functions/<name or ARN>/invocations): runs a
 * region's function in-process. RequestResponse answers 200 with the result; Event answers 202 and runs it
 * after; DryRun answers 204. A handler error answers 200 with `x-amz-function-error: Unhandled`, as Lambda
 * does. STS GetCallerIdentity answers for the sandbox's fixed account.
 */
import { randomUUID } from 'node:crypto';
import { awsError, escapeXml } from './aws-wire.js';
import type { EdgeResponse, EdgeServiceHandler } from './contracts.js';

export interface LambdaFunction {
  readonly awsRegion: string;
  readonly regionKey: string;
  readonly name: string;
  invoke(payload: unknown): Promise<unknown>;
}

export interface LambdaServiceOptions {
  readonly account: string;
  /** The function of that name in that AWS region, if any. */
  find(awsRegion: string, name: string): LambdaFunction | undefined;
  /** A fault makes the function's Invoke fail (relay-error). */
  failing(fn: LambdaFunction): boolean;
  readonly onError?: (error: Error, where: string) => void;
  /** One-way network delay from the calling region to the function's region, ms (0 within a region). */
  readonly delayMs?: (caller: string | undefined, fn: LambdaFunction) => number;
  /** Event invocations run after the 202; the sandbox awaits them on stop. */
  readonly track?: (work: Promise<unknown>) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const INVOKE = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const ARN = /^arn:aws:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/;

function lambdaError(status: number, type: string, message: string): EdgeResponse {
  const response = awsError('rest-json', status, type, message);
  return { ...response, body: JSON.stringify({ Type: 'User', message }) };
}

export function lambdaService(options: LambdaServiceOptions): EdgeServiceHandler {
  return async (request) => {
    const match = INVOKE.exec(request.path);
    if (!match || request.method !== 'POST') {
      return awsError(
        'rest-json',
        400,
        'UnknownOperationException',
        `the chatctl sandbox's Lambda serves Invoke only (got ${request.method} ${request.path})`,
      );
    }
    let name = decodeURIComponent(match[1]);
    let region = request.region;
    const arn = ARN.exec(name);
    if (arn) {
      if (arn[1] !== region) {
        return lambdaError(
          400,
          'InvalidParameterValueException',
          `function ARN is in ${arn[1]}, not ${region}`,
        );
      }
      region = arn[1];
      name = arn[3];
    }
    const fn = options.find(region, name);
    if (!fn) {
      return lambdaError(
        404,
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:${region}:${options.account}:function:${name}`,
      );
    }
    const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
      return lambdaError(400, 'InvalidParameterValueException', `unknown invocation type ${type}`);
    }
    let payload: unknown = {};
    if (request.body.length > 0) {
      try {
        payload = JSON.parse(request.body.toString('utf8'));
      } catch {
        return lambdaError(
          400,
          'InvalidRequestContentException',
          'Could not parse request body into json: the payload is not valid JSON',
        );
      }
    }
    if (options.failing(fn)) {
      return awsError('rest-json', 500, 'ServiceException', `injected fault: relay-error in ${fn.regionKey}`);
    }
    const delay = options.delayMs?.(request.caller, fn) ?? 0;
    if (delay > 0) await sleep(delay);
    const requestId = randomUUID();
    const version = { 'x-amz-executed-version': '$LATEST', 'x-amzn-requestid': requestId };
    if (type === 'DryRun') return { status: 204, headers: version };
    if (type === 'Event') {
      const work = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => fn.invoke(payload))
        .catch((error: Error) => options.onError?.(error, `async invoke of ${fn.name}`));
      options.track?.(work);
      return { status: 202, headers: { 'x-amzn-requestid': requestId } };
    }
    try {
      const result = await fn.invoke(payload);
      if (delay > 0) await sleep(delay);
      return {
        status: 200,
        headers: { ...version, 'content-type': 'application/json' },
        body: result === undefined ? 'null' : JSON.stringify(result),
      };
    } catch (error) {
      const e = error as Error;
      return {
        status: 200,
        headers: { ...version, 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' },
        body: JSON.stringify({
          errorType: e?.name ?? 'Error',
          errorMessage: e?.message ?? String(error),
          trace: String(e?.stack ?? '').split('\n'),
        }),
      };
    }
  };
}

export function stsService(account: string): EdgeServiceHandler {
  return async (request) => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const params = new URLSearchParams(request.body.toString('utf8'));
    const action = target ? target.split('.').pop() : (params.get('Action') ?? request.query.get('Action'));
    const requestId = randomUUID();
    const identity = {
      UserId: 'AIDACHATCTLSANDBOX0000',
      Account: account,
      Arn: `arn:aws:iam::${account}:user/chatctl-sandbox`,
    };
    if (action !== 'GetCallerIdentity') {
      return awsError(
        target ? 'json' : 'query',
        400,
        target ? 'UnknownOperationException' : 'InvalidAction',
        `the chatctl sandbox's STS serves GetCallerIdentity only (got ${action ?? 'no Action'})`,
      );
    }
    if (target) {
      return {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
        body: JSON.stringify(identity),
      };
    }
    return {
      status: 200,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>${escapeXml(identity.Arn)}</Arn>
    <UserId>${identity.UserId}</UserId>
    <Account>${identity.Account}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>`,
    };
  };
}
