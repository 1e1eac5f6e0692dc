/**
 * The canary's probes: the runtime's own probe (runtime/canary/probe.ts) run on a short interval, as the stacks
 * run it every minute: each region's canary probes its own region by its own name and by the global name (at
 * its own gateway, Host chat.<domain>), and judges the regions core/routing-health.ts gives it. Each (judged,
 * judge) pair runs one probe at a time; the results wait, per pair, until CloudWatch drains them (./metrics.ts).
 */
import { canaryRoom, canaryUser } from '../../../core/observability.js';
import { canaryJudges } from '../../../core/routing-health.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../../../core/runtime-env.js';
import type { Topology } from '../../../core/topology.js';
import { signDevToken } from '../../../runtime/auth/dev-token.js';
import { type CanaryResult, runCanaryProbe } from '../../../runtime/canary/probe.js';

export interface CanaryTarget {
  readonly key: string;
  readonly websocketUrl: string;
  /** The global name's URL at this region's gateway (ws://chat.<domain>:<port>/prod), probed at 127.0.0.1. */
  readonly globalUrl?: string;
}

/** The results of one judge's probes of one region since the previous drain. */
export interface CanaryJudgement {
  readonly judged: string;
  readonly judge: string;
  readonly results: readonly CanaryResult[];
}

export interface CanaryProbesOptions {
  readonly regions: () => readonly CanaryTarget[];
  readonly topology: () => Pick<Topology, 'regions'>;
  readonly intervalMs: number;
  /** One run's deadline (shorter than the Lambda's 10 s: the sandbox's interval is short too). */
  readonly timeoutMs?: number;
}

const pairKey = (judged: string, judge: string) => `${judged}\u0000${judge}`;

export class CanaryProbes {
  private readonly unread = new Map<string, CanaryResult[]>();
  private readonly latest = new Map<string, CanaryResult & { readonly at: string }>();
  private readonly running = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Regions whose probes are stopped (every judge's): their judgements go missing. */
  private readonly silenced = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: CanaryProbesOptions) {}

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  start(): void {
    this.timer ??= setInterval(() => this.runAll(), this.options.intervalMs);
    this.timer.unref();
    this.runAll();
  }

  /** Stops every probe of a region (its own canary's and its judges'), as if none of them reported any more. */
  silence(key: string): void {
    this.silenced.add(key);
  }

  resume(key: string): void {
    this.silenced.delete(key);
  }

  /** Results since the previous call, per judged region and judge (CloudWatch's sampling reads them). */
  drain(): CanaryJudgement[] {
    const out = [...this.unread].map(([pair, results]) => {
      const [judged, judge] = pair.split('\u0000');
      return { judged, judge, results };
    });
    this.unread.clear();
    return out;
  }

  /** The newest result of a region's own canary on it, with when it finished. */
  last(key: string): (CanaryResult & { readonly at: string }) | undefined {
    return this.latest.get(key);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  private runAll(): void {
    const targets = this.options.regions();
    const byKey = new Map(targets.map((t) => [t.key, t]));
    for (const target of targets) {
      if (this.silenced.has(target.key)) continue;
      for (const judge of canaryJudges(this.options.topology(), target.key)) {
        if (!byKey.has(judge)) continue;
        const pair = pairKey(target.key, judge);
        if (this.running.has(pair)) continue;
        this.running.add(pair);
        const run = this.runOne(target, judge).finally(() => {
          this.running.delete(pair);
          this.inFlight.delete(run);
        });
        this.inFlight.add(run);
      }
    }
  }

  private probe(target: CanaryTarget, url: string, address?: string): Promise<CanaryResult> {
    return runCanaryProbe({
      url,
      token: signDevToken({
        userId: canaryUser(target.key),
        ttlSeconds: 120,
        secret: SANDBOX_DEV_TOKEN_SECRET,
      }),
      roomId: canaryRoom(target.key),
      // As long as the Lambda's own deadline allows: a slow run only delays that pair's next one.
      timeoutMs: this.options.timeoutMs ?? 5000,
      ...(address ? { address } : {}),
    }).catch((error: unknown) => ({
      ok: false,
      stage: 'connect' as const,
      error: String(error),
      totalMs: 0,
    }));
  }

  private async runOne(target: CanaryTarget, judge: string): Promise<void> {
    let result = await this.probe(target, target.websocketUrl);
    // A region's own canary also reaches it by the global name, at its own gateway: both must work.
    if (judge === target.key && result.ok && target.globalUrl) {
      const global = await this.probe(target, target.globalUrl, '127.0.0.1');
      if (!global.ok)
        result = { ...global, error: `through ${target.globalUrl}: ${global.error ?? 'failed'}` };
    }
    if (!this.timer || this.silenced.has(target.key)) return;
    const pair = pairKey(target.key, judge);
    const list = this.unread.get(pair) ?? [];
    list.push(result);
    this.unread.set(pair, list);
    if (judge === target.key) this.latest.set(target.key, { ...result, at: new Date().toISOString() });
  }
}
