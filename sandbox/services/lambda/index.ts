/**
 * Lambda Invoke on the edge (REST-JSON: POST /2015-03-31/functions/<name or ARN>/invocations): runs a
 * region's function in-process. RequestResponse answers 200 with the result; Event answers 202 and queues it
 * (./async-queue.ts: retries, the maximum event age, the on-failure destination, as the relay's
 * EventInvokeConfig in the stacks sets them); DryRun answers 204. A handler error answers 200 with
 * `x-amz-function-error: Unhandled`, as Lambda does; a throttled run (the function's lane full, or the
 * `throttle` fault) 429 TooManyRequestsException. The functions are each running region's relay and health
 * handlers, found by their stack names.
 * GetAccountSettings (GET /2016-08-19/account-settings) answers the account's concurrency quota (the
 * `lambdaConcurrency` option) and what the running regions' lanes leave unreserved, for a deploy's preflight.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { names } from '../../../core/names.js';
import { RELAY_ASYNC } from '../../../core/relay-async.js';
import type { RelayPayload } from '../../../runtime/app.js';
import type { EdgeRequest, EdgeResponse } from '../../contracts.js';
import { isThrottle } from '../../throttle.js';
import { restJsonError, restJsonResult } from '../../wire/rest-json.js';
import { asServiceError, ServiceError } from '../../wire/service-error.js';
import type { Handles, ServiceFactory } from '../definition.js';
import type { PartNeed } from '../parts.js';
import type { SandboxService, ServiceContext } from '../service.js';
import {
  type AsyncConfig,
  AsyncQueue,
  AWS_ASYNC_TIMING,
  AWS_DEFAULT_ASYNC,
  type DestinationRecord,
} from './async-queue.js';

export interface LambdaFunction {
  readonly awsRegion: string;
  readonly regionKey: string;
  readonly name: string;
  /** Its asynchronous invocation configuration: the relay's as the stacks deploy it, else AWS's defaults. */
  readonly async: AsyncConfig;
  invoke(payload: unknown): Promise<unknown>;
}

/** A given-up queued invocation, as its on-failure destination (the relay's failure queue) received it. */
export interface FailedEvent {
  readonly regionKey: string;
  readonly functionName: string;
  /** The destination queue's name; undefined: the function has none and the event was dropped. */
  readonly destination?: string;
  readonly record: DestinationRecord;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const INVOKE = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const ACCOUNT_SETTINGS = /^\/2016-08-19\/account-settings\/?$/;
const ARN = /^arn:aws:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/;

/** What tests, the console and CloudWatch read of the sandbox's Lambda. */
export interface LambdaView {
  /** Invocations whose request has arrived and not finished, and async events not yet settled. */
  inFlight(): number;
  /** The queued invocations given up, oldest first: what each on-failure queue holds (SQS keeps 14 days). */
  failedEvents(regionKey?: string): readonly FailedEvent[];
}
/** Lambda's waits for queued (Event) invocations, and the relay's maximum event age: AWS's unless given. */
export interface LambdaAsyncSettings {
  /** Before each retry of a failed run (AWS: 60 s, then 120 s). */
  readonly retryDelaysMs?: readonly number[];
  /** The first wait after a throttled run (AWS: 1 s); it doubles up to throttleMaxMs (AWS: 5 minutes). */
  readonly throttleFirstMs?: number;
  readonly throttleMaxMs?: number;
  /** The relay's maximum event age (default RELAY_ASYNC's, core/relay-async.ts, as the stacks deploy it). */
  readonly relayMaxEventAgeMs?: number;
}

export interface LambdaOptions {
  /**
   * The Lambda concurrency quota GetAccountSettings reports in every region (default 1000, AWS's default; a new
   * account can have far less), so a deploy's preflight can be exercised against the sandbox.
   */
  readonly lambdaConcurrency?: number;
  /**
   * Lambda's queue of Event invocations runs with AWS's waits (retries after 1 and 2 minutes, throttles from
   * 1 s doubling to 5 minutes) and the relay's maximum event age as the stacks deploy it; tests shorten them.
   */
  readonly lambdaAsync?: LambdaAsyncSettings;
}

/** The faults it honours, the network a cross-region Invoke crosses, and its queued work awaited on stop. */
export type LambdaNeeds = {
  faults: PartNeed<'faults'>;
  network: PartNeed<'network'>;
  background: PartNeed<'background'>;
};

export const createService: ServiceFactory<LambdaService, LambdaNeeds, LambdaOptions> = (
  context,
  needs,
  options,
) => new LambdaService(context, needs, options);

export class LambdaService implements SandboxService, LambdaView {
  readonly name = 'lambda';
  private running = 0;
  private readonly failed: FailedEvent[] = [];
  private readonly queue: AsyncQueue;

  constructor(
    private readonly context: ServiceContext,
    private readonly needs: Handles<LambdaNeeds>,
    private readonly options: LambdaOptions = {},
  ) {
    const settings = options.lambdaAsync ?? {};
    this.queue = new AsyncQueue(
      {
        retryDelaysMs: settings.retryDelaysMs ?? AWS_ASYNC_TIMING.retryDelaysMs,
        throttleFirstMs: settings.throttleFirstMs ?? AWS_ASYNC_TIMING.throttleFirstMs,
        throttleMaxMs: settings.throttleMaxMs ?? AWS_ASYNC_TIMING.throttleMaxMs,
      },
      {
        onRetry: (event, why) => {
          const fn = this.functionOf(event.functionArn);
          context.log({ kind: 'lambda', action: 'retry', requestId: event.requestId, why, ...fn });
        },
        onFailure: (record, destination) => {
          const fn = this.functionOf(record.requestContext.functionArn);
          this.failed.push({
            regionKey: fn.region,
            functionName: fn.function,
            ...(destination ? { destination } : {}),
            record,
          });
          context.log({
            kind: 'lambda',
            action: 'given-up',
            requestId: record.requestContext.requestId,
            why: `${record.requestContext.condition} after ${record.requestContext.approximateInvokeCount} runs`,
            ...(destination ? { destination } : {}),
            ...fn,
          });
        },
      },
    );
  }

  inFlight(): number {
    return this.running;
  }

  failedEvents(regionKey?: string): readonly FailedEvent[] {
    return regionKey ? this.failed.filter((f) => f.regionKey === regionKey) : [...this.failed];
  }

  async stop(): Promise<void> {
    this.queue.stop();
  }

  /** The region key and function name in a function ARN this service made. */
  private functionOf(arn: string): { region: string; function: string } {
    const name = arn.split(':')[6] ?? arn;
    const region = this.context
      .regions()
      .find((r) => name.startsWith(`${this.context.topology().app}-${r.key}-`));
    return { region: region?.key ?? '?', function: name };
  }

  /** The function of that name in that AWS region, if any: a running region's relay or health handler. */
  private find(awsRegion: string, name: string): LambdaFunction | undefined {
    const topology = this.context.topology();
    for (const region of this.context.regions()) {
      if (region.awsRegion !== awsRegion) continue;
      const fn = { awsRegion, regionKey: region.key, name };
      if (name === names.relayFunction(topology, region.key)) {
        const async: AsyncConfig = {
          maxEventAgeMs:
            this.options.lambdaAsync?.relayMaxEventAgeMs ?? RELAY_ASYNC.maxEventAgeSeconds * 1000,
          maxRetryAttempts: RELAY_ASYNC.maxRetryAttempts,
          onFailure: names.relayFailureQueue(topology, region.key),
        };
        return { ...fn, async, invoke: (payload) => region.app.relay(payload as RelayPayload) };
      }
      if (name === names.function(topology, region.key, 'health')) {
        return {
          ...fn,
          async: AWS_DEFAULT_ASYNC,
          invoke: (payload) => region.app.health(payload as APIGatewayProxyEventV2),
        };
      }
    }
    return undefined;
  }

  /**
   * A cross-region Invoke crosses the network between the regions (each way: the request, and a
   * RequestResponse's answer): the pair's network time plus both regions' latency faults. Not the
   * replication lag, which adds Global Tables' pipeline: a relayed message arrives before its item, as on AWS.
   */
  private delayMs(caller: string | undefined, fn: LambdaFunction): number {
    const { faults, network } = this.needs;
    if (!caller || caller === fn.regionKey || !this.context.regions().some((r) => r.key === caller)) return 0;
    return network.ms(caller, fn.regionKey) + faults.latencyMs(caller) + faults.latencyMs(fn.regionKey);
  }

  /** GetAccountSettings: the quota, and what the running regions' functions reserve of it (their lanes). */
  private accountSettings(awsRegion: string): EdgeResponse {
    const topology = this.context.topology();
    const here = this.context.regions().filter((r) => r.awsRegion === awsRegion).length;
    const lanes = Object.values(topology.lanes).reduce<number>((sum, n) => sum + (n ?? 0), 0);
    const quota = this.options.lambdaConcurrency ?? 1000;
    return restJsonResult(200, {
      AccountLimit: {
        TotalCodeSize: 80_530_636_800,
        CodeSizeUnzipped: 262_144_000,
        CodeSizeZipped: 52_428_800,
        ConcurrentExecutions: quota,
        UnreservedConcurrentExecutions: Math.max(0, quota - here * lanes),
      },
      AccountUsage: { TotalCodeSize: 0, FunctionCount: here * 12 },
    });
  }

  /** Every error in Lambda's shape; anything unexpected is InternalFailure. */
  handle = async (request: EdgeRequest): Promise<EdgeResponse> => {
    // Counted until it settles, whether or not its caller still waits (an aborted request is still served).
    this.running++;
    try {
      return await this.serve(request);
    } catch (error) {
      return restJsonError(asServiceError(error));
    } finally {
      this.running--;
    }
  };

  private async serve(request: EdgeRequest): Promise<EdgeResponse> {
    const { context, needs } = this;
    if (request.method === 'GET' && ACCOUNT_SETTINGS.test(request.path)) {
      return this.accountSettings(request.region);
    }
    const match = INVOKE.exec(request.path);
    if (!match || request.method !== 'POST') {
      throw new ServiceError(
        400,
        'UnknownOperationException',
        `the chatctl sandbox's Lambda serves Invoke and GetAccountSettings only (got ${request.method} ${request.path})`,
      );
    }
    let name = decodeURIComponent(match[1]);
    let region = request.region;
    const arn = ARN.exec(name);
    if (arn) {
      if (arn[1] !== region) {
        throw new ServiceError(
          400,
          'InvalidParameterValueException',
          `function ARN is in ${arn[1]}, not ${region}`,
        );
      }
      region = arn[1];
      name = arn[3];
    }
    const fn = this.find(region, name);
    if (!fn) {
      throw new ServiceError(
        404,
        'ResourceNotFoundException',
        `Function not found: arn:aws:lambda:${region}:${context.account}:function:${name}`,
      );
    }
    const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
      throw new ServiceError(400, 'InvalidParameterValueException', `unknown invocation type ${type}`);
    }
    let payload: unknown = {};
    if (request.body.length > 0) {
      try {
        payload = JSON.parse(request.body.toString('utf8'));
      } catch {
        throw new ServiceError(
          400,
          'InvalidRequestContentException',
          'Could not parse request body into json: the payload is not valid JSON',
        );
      }
    }
    if (needs.faults.active(fn.regionKey, 'relay-error')) {
      throw new ServiceError(500, 'ServiceException', `injected fault: relay-error in ${fn.regionKey}`);
    }
    const delay = this.delayMs(request.caller, fn);
    if (delay > 0) await sleep(delay);
    const requestId = randomUUID();
    const version = { 'x-amz-executed-version': '$LATEST', 'x-amzn-requestid': requestId };
    if (type === 'DryRun') return { status: 204, headers: version };
    if (type === 'Event') {
      this.enqueue(fn, requestId, payload);
      // The function starts once the request has crossed; the caller has its 202 once the answer has too.
      if (delay > 0) await sleep(delay);
      return { status: 202, headers: { 'x-amzn-requestid': requestId } };
    }
    try {
      if (needs.faults.active(fn.regionKey, 'throttle')) throw throttled(fn, 'the throttle fault');
      const result = await fn.invoke(payload);
      if (delay > 0) await sleep(delay);
      return {
        status: 200,
        headers: { ...version, 'content-type': 'application/json' },
        body: result === undefined ? 'null' : JSON.stringify(result),
      };
    } catch (error) {
      const e = error as Error;
      // Beyond its reserved concurrency the function does not run: Lambda answers 429 (the caller retries).
      if (isThrottle(error)) return tooManyRequests(e.message, requestId);
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
  }

  /** An Event invocation: Lambda's queue runs it, retries it and gives it up (./async-queue.ts). */
  private enqueue(fn: LambdaFunction, requestId: string, payload: unknown): void {
    const context = this.context;
    this.running++;
    const work = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() =>
        this.queue.process({
          requestId,
          functionArn: `arn:aws:lambda:${fn.awsRegion}:${context.account}:function:${fn.name}`,
          payload,
          receivedAt: Date.now(),
          config: fn.async,
          run: () => fn.invoke(payload),
          throttled: () => this.needs.faults.active(fn.regionKey, 'throttle'),
        }),
      )
      .catch((error: Error) => context.onError(error, `async invoke of ${fn.name}`))
      .finally(() => this.running--);
    this.needs.background.track(work);
  }
}

/** A run refused before it starts, as the function's lane refuses one (sandbox/throttle.ts). */
function throttled(fn: LambdaFunction, why: string): Error {
  return Object.assign(new Error(`Rate Exceeded. (${fn.name} is throttled: ${why})`), {
    name: 'TooManyRequestsException',
    throttled: true,
  });
}

/** Lambda's 429, as the SDK parses it (TooManyRequestsException with its Reason and Retry-After). */
function tooManyRequests(message: string, requestId: string): EdgeResponse {
  return restJsonResult(
    429,
    { Type: 'User', message, Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' },
    { 'x-amzn-errortype': 'TooManyRequestsException', 'x-amzn-requestid': requestId, 'retry-after': '1' },
  );
}
