/**
 * API Gateway's stage throttle: a token bucket per stage (steady rate per second, burst), from the same
 * constants the stacks set (core/routing-health.ts). A request finding the bucket empty is answered 429
 * before any integration runs: the health API's GET /health, and the WebSocket API's upgrade ($connect).
 */
export interface ThrottleLimits {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export class StageThrottle {
  private tokens: number;
  private at: number;
  /** Requests refused since the gateway started. */
  refused = 0;

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = limits.burstLimit;
    this.at = now();
  }

  /** Takes one token; false when the bucket is empty (the request gets 429). */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(
      this.limits.burstLimit,
      this.tokens + ((now - this.at) / 1000) * this.limits.rateLimit,
    );
    this.at = now;
    if (this.tokens < 1) {
      this.refused++;
      return false;
    }
    this.tokens -= 1;
    return true;
  }
}

/** API Gateway's body for a throttled request. */
export const TOO_MANY_REQUESTS = JSON.stringify({ message: 'Too Many Requests' });
