/**
 * The chat canary in the sandbox: the runtime's own probe (runtime/canary/probe.ts) run against every
 * region's gateway on a short interval, one run per region at a time, as the stacks run it every minute.
 * Its results become CanarySuccess and CanaryLatency in CloudWatch (metric-sources.ts), where the region's
 * canary alarm watches them and Route 53's CLOUDWATCH_METRIC check follows that alarm.
 */
import { canaryRoom, canaryUser } from '../core/observability.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../core/runtime-env.js';
import { signDevToken } from '../runtime/auth/dev-token.js';
import { type CanaryResult, runCanaryProbe } from '../runtime/canary/probe.js';

export interface CanaryTarget {
  readonly key: string;
  readonly websocketUrl: string;
}

export interface SandboxCanaryOptions {
  readonly regions: () => readonly CanaryTarget[];
  readonly intervalMs: number;
  /** One run's deadline (shorter than the Lambda's 10 s: the sandbox's interval is short too). */
  readonly timeoutMs?: number;
}

export class SandboxCanary {
  private readonly unread = new Map<string, CanaryResult[]>();
  private readonly latest = new Map<string, CanaryResult & { readonly at: string }>();
  private readonly running = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SandboxCanaryOptions) {}

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  start(): void {
    this.timer ??= setInterval(() => this.runAll(), this.options.intervalMs);
    this.timer.unref();
    this.runAll();
  }

  /** Results since the previous call, per region key (CloudWatch's sampling reads them). */
  drain(): Map<string, CanaryResult[]> {
    const out = new Map(this.unread);
    this.unread.clear();
    return out;
  }

  /** The newest result of a region, with when it finished. */
  last(key: string): (CanaryResult & { readonly at: string }) | undefined {
    return this.latest.get(key);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  private runAll(): void {
    for (const region of this.options.regions()) {
      if (this.running.has(region.key)) continue;
      this.running.add(region.key);
      const run = this.runOne(region).finally(() => {
        this.running.delete(region.key);
        this.inFlight.delete(run);
      });
      this.inFlight.add(run);
    }
  }

  private async runOne(region: CanaryTarget): Promise<void> {
    let result: CanaryResult;
    try {
      result = await runCanaryProbe({
        url: region.websocketUrl,
        token: signDevToken({
          userId: canaryUser(region.key),
          ttlSeconds: 120,
          secret: SANDBOX_DEV_TOKEN_SECRET,
        }),
        roomId: canaryRoom(region.key),
        timeoutMs: this.options.timeoutMs ?? Math.max(1000, Math.min(5000, this.options.intervalMs * 2)),
      });
    } catch (error) {
      result = { ok: false, stage: 'connect', error: String(error), totalMs: 0 };
    }
    if (!this.timer) return;
    const list = this.unread.get(region.key) ?? [];
    list.push(result);
    this.unread.set(region.key, list);
    this.latest.set(region.key, { ...result, at: new Date().toISOString() });
  }
}
