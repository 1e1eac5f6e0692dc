/**
 * Route 53's health checks that probe nothing themselves: CLOUDWATCH_METRIC follows its CloudWatch alarm
 * (OK is healthy, ALARM unhealthy, INSUFFICIENT_DATA as InsufficientDataHealthStatus says), and CALCULATED is
 * healthy while at least HealthThreshold of its children are. Both honour Inverted and Disabled, as the
 * endpoint checker does (./health-checker.ts); all three share the CheckStatus shape the store holds.
 */
import type { AlarmStateValue } from '../service.js';
import type { ProbeResult } from './probe.js';

export interface CheckStatus {
  /** The status Route 53 routes on (after inversion and disabling). */
  readonly healthy: boolean;
  /** GetHealthCheckStatus's report; undefined before the first observation. */
  statusReport(): { status: string; checkedTime: Date } | undefined;
  /** The last probe of a check that probes an endpoint (undefined for derived checks, or before the first). */
  readonly lastProbe?: ProbeResult;
  settingsChanged(): void;
  start(): void;
  stop(): Promise<void>;
}

export interface DerivedSettings {
  readonly inverted: boolean;
  readonly disabled: boolean;
}

export type InsufficientDataHealthStatus = 'Healthy' | 'Unhealthy' | 'LastKnownStatus';

export class AlarmCheck implements CheckStatus {
  /** A new check has no known status: Route 53 starts it healthy. */
  private lastKnown = true;

  constructor(
    private readonly options: {
      readonly alarm: () => { readonly region: string; readonly name: string };
      readonly state: (region: string, name: string) => AlarmStateValue | undefined;
      readonly insufficient: () => InsufficientDataHealthStatus;
      readonly settings: () => DerivedSettings;
    },
  ) {}

  private get alarmHealthy(): { healthy: boolean; state: AlarmStateValue | undefined } {
    const { region, name } = this.options.alarm();
    const state = this.options.state(region, name);
    if (state === 'OK') this.lastKnown = true;
    else if (state === 'ALARM') this.lastKnown = false;
    else {
      const rule = this.options.insufficient();
      if (rule !== 'LastKnownStatus') return { healthy: rule === 'Healthy', state };
    }
    return { healthy: this.lastKnown, state };
  }

  get healthy(): boolean {
    const settings = this.options.settings();
    if (settings.disabled) return true;
    const { healthy } = this.alarmHealthy;
    return settings.inverted ? !healthy : healthy;
  }

  statusReport(): { status: string; checkedTime: Date } {
    const settings = this.options.settings();
    const { name } = this.options.alarm();
    const { state } = this.alarmHealthy;
    const healthy = this.healthy;
    const detail = `CloudWatch alarm ${name} is ${state ?? 'missing'}${settings.inverted ? ' (health check is inverted)' : ''}`;
    return { status: `${healthy ? 'Success' : 'Failure'}: ${detail}`, checkedTime: new Date() };
  }

  settingsChanged(): void {}
  start(): void {}
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

export class CalculatedCheck implements CheckStatus {
  constructor(
    private readonly options: {
      /** Each child's status (undefined: the child was deleted, which counts as unhealthy). */
      readonly children: () => readonly (CheckStatus | undefined)[];
      readonly threshold: () => number;
      readonly settings: () => DerivedSettings;
    },
  ) {}

  get healthy(): boolean {
    const settings = this.options.settings();
    if (settings.disabled) return true;
    const up = this.options.children().filter((c) => c?.healthy).length;
    const healthy = up >= this.options.threshold();
    return settings.inverted ? !healthy : healthy;
  }

  /** Route 53 answers GetHealthCheckStatus for no calculated check (the API refuses it). */
  statusReport(): undefined {
    return undefined;
  }

  settingsChanged(): void {}
  start(): void {}
  stop(): Promise<void> {
    return Promise.resolve();
  }
}
