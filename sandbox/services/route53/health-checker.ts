/**
 * A Route 53 health checker: really probes its endpoint every interval (./probe.ts: HTTP, string matching
 * or TCP, as the check's Type says), flips its view after
 * FailureThreshold consecutive results that disagree with it, and honours Inverted and Disabled.
 * One probe at a time: the next probe is scheduled after the previous one finished, so a slow
 * endpoint never piles probes up.
 */
import { PROBE_TIMING, type ProbeResult, type ProbeTarget, type ProbeTiming, probe } from './probe.js';

export interface CheckerSettings {
  readonly failureThreshold: number;
  readonly inverted: boolean;
  readonly disabled: boolean;
}

export interface CheckerOptions {
  readonly intervalMs: number;
  /** Route 53's time limits (connect 4 s, respond 2 s, TCP 10 s); shorter for tests. */
  readonly timing?: ProbeTiming;
  /** Looked up before every probe, so an updated IPAddress/Port takes effect at the next probe. */
  readonly target: () => ProbeTarget;
  readonly settings: () => CheckerSettings;
  /** Called whenever the effective status changes (after threshold, inversion and disabling). */
  readonly onChange?: (healthy: boolean) => void;
}

/** The checker region reported in observations; Route 53 has no checker in Seoul, and this one is in Virginia. */
export const CHECKER_REGION = 'us-east-1';

export class HealthChecker {
  /** The probe-based view after the failure threshold (before inversion and disabling). */
  private endpointHealthy = true;
  private streak = 0;
  private last: ProbeResult | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private inFlight: Promise<void> | undefined;
  private reported: boolean | undefined;

  constructor(private readonly options: CheckerOptions) {}

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight;
  }

  /** The status Route 53 routes on: Disabled is healthy; Inverted flips the probe-based view. */
  get healthy(): boolean {
    const settings = this.options.settings();
    if (settings.disabled) return true;
    return settings.inverted ? !this.endpointHealthy : this.endpointHealthy;
  }

  get lastProbe(): ProbeResult | undefined {
    return this.last;
  }

  /** What this checker reports for GetHealthCheckStatus: "Success: ..." or "Failure: ...", with the last probe. */
  statusReport(): { status: string; checkedTime: Date } | undefined {
    const settings = this.options.settings();
    if (settings.disabled) {
      return { status: 'Success: Health checking is disabled', checkedTime: this.last?.at ?? new Date() };
    }
    const last = this.last;
    if (!last) return undefined;
    const healthy = this.healthy;
    let detail = last.detail;
    if (last.ok !== this.endpointHealthy) {
      detail = `last probe ${last.ok ? 'succeeded' : 'failed'} (${this.streak} of ${settings.failureThreshold} before the status changes): ${last.detail}`;
    }
    if (settings.inverted) detail = `Health check is inverted; ${detail}`;
    return { status: `${healthy ? 'Success' : 'Failure'}: ${detail}`, checkedTime: last.at };
  }

  /** Re-evaluates after a settings change (Inverted/Disabled take effect at once, as on AWS). */
  settingsChanged(): void {
    this.report();
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.tick().finally(() => {
        this.inFlight = undefined;
      });
    }, delayMs);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    const started = Date.now();
    const target = this.options.target();
    const result: ProbeResult = target.url
      ? await probe(target, this.options.timing ?? PROBE_TIMING)
      : { ok: false, detail: target.unresolved ?? 'The endpoint cannot be resolved.', at: new Date() };
    if (this.stopped) return;
    this.last = result;
    const threshold = Math.max(1, this.options.settings().failureThreshold);
    if (result.ok === this.endpointHealthy) {
      this.streak = 0;
    } else {
      this.streak++;
      if (this.streak >= threshold) {
        this.endpointHealthy = result.ok;
        this.streak = 0;
      }
    }
    this.report();
    this.schedule(Math.max(0, this.options.intervalMs - (Date.now() - started)));
  }

  private report(): void {
    const healthy = this.healthy;
    if (healthy !== this.reported) {
      this.reported = healthy;
      this.options.onChange?.(healthy);
    }
  }
}
