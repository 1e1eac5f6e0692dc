/**
 * A Route 53 health checker: really probes an HTTP endpoint every interval, flips its view after
 * FailureThreshold consecutive results that disagree with it, and honours Inverted and Disabled.
 * One probe at a time: the next probe is scheduled after the previous one finished, so a slow
 * endpoint never piles probes up.
 */
import { request } from 'node:http';

export interface ProbeTarget {
  /** The check's Type: HTTP, HTTPS, HTTP_STR_MATCH, HTTPS_STR_MATCH or TCP. */
  readonly type: string;
  /** What an *_STR_MATCH check looks for in the response body. */
  readonly searchString?: string;
  /** http://127.0.0.1:PORT/health, or undefined when the endpoint cannot be resolved. */
  readonly url?: string;
  /** Where a TCP check connects (with url). */
  readonly host?: string;
  readonly port?: number;
  /** The address the checker connects to (reported as the observation's IPAddress). */
  readonly ipAddress: string;
  /** Why the endpoint has no URL (e.g. a name that does not resolve). */
  readonly unresolved?: string;
}

export interface CheckerSettings {
  readonly failureThreshold: number;
  readonly inverted: boolean;
  readonly disabled: boolean;
}

export interface ProbeResult {
  readonly ok: boolean;
  /** e.g. "HTTP Status Code 200, OK" or "Connection refused. ..." */
  readonly detail: string;
  readonly at: Date;
}

export interface CheckerOptions {
  readonly intervalMs: number;
  readonly timeoutMs?: number;
  /** Looked up before every probe, so an updated IPAddress/Port takes effect at the next probe. */
  readonly target: () => ProbeTarget;
  readonly settings: () => CheckerSettings;
  /** Called whenever the effective status changes (after threshold, inversion and disabling). */
  readonly onChange?: (healthy: boolean) => void;
}

/** The checker region reported in observations; Route 53 has no checker in Seoul, and this one is in Virginia. */
export const CHECKER_REGION = 'us-east-1';

/** Route 53 wants the response within two seconds of connecting (a refused connection fails at once). */
export const PROBE_TIMEOUT_MS = 2000;

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const DOWN =
  'The endpoint or the internet connection is down, or requests are being blocked by your firewall.';

/** One HTTP GET as Route 53 does it: a new connection, 2xx/3xx is success, a short timeout. */
export function probe(url: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean, detail: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ok, detail, at: new Date() });
    };
    const req = request(
      url,
      { method: 'GET', agent: false, headers: { 'user-agent': 'Amazon-Route53-Health-Check-Service' } },
      (res) => {
        const code = res.statusCode ?? 0;
        const text = STATUS_TEXT[code] ?? res.statusMessage ?? '';
        res.resume();
        done(code >= 200 && code < 400, `HTTP Status Code ${code}, ${text}`);
      },
    );
    const timer = setTimeout(() => {
      done(false, `Connection timed out. ${DOWN}`);
      req.destroy();
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') done(false, `Connection refused. ${DOWN}`);
      else if (error.code === 'ECONNRESET') done(false, `Connection reset by peer. ${DOWN}`);
      else done(false, `${error.code ?? error.message}. ${DOWN}`);
    });
    req.end();
  });
}

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
    const timeoutMs = this.options.timeoutMs ?? PROBE_TIMEOUT_MS;
    const result: ProbeResult = target.url
      ? await probe(target.url, timeoutMs)
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
