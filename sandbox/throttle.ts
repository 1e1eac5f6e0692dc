/** A lane's throttle, shared by the counters that raise it (surge.ts) and the gateway that answers it. */

/**
 * Lambda's answer to an invocation beyond the function's reserved concurrency: it never runs. API Gateway
 * turns it into an integration failure (HTTP 500 on $connect, an "Internal server error" frame on a route).
 */
export class LambdaThrottledError extends Error {
  readonly throttled = true;
  constructor(route: string, limit: number) {
    super(`Rate Exceeded. (the ${route} function is at its reserved concurrency of ${limit})`);
    this.name = 'TooManyRequestsException';
  }
}

export function isThrottle(error: unknown): boolean {
  return (error as { throttled?: unknown } | undefined)?.throttled === true;
}
