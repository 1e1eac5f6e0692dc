/**
 * The surge controller's decision, as a pure function: from one reading of the region's lanes (each lane's
 * peak concurrency against its reserved concurrency, its throttles, its errors) and the stored level state,
 * the level the region should be at and why. No clock, no I/O: the Lambda (runtime/surge/run.ts with the
 * CloudWatch reader) and the sandbox (its own counters) feed it the same way. docs/observability.md explains
 * the thresholds.
 *
 * - Raising is immediate, straight to the level the pressure asks for: a surge does not wait.
 * - Lowering is one level at a time, only once the pressure is below the raise threshold minus the
 *   hysteresis band, and only after the cool-down since the last change: a level that flaps sheds and
 *   un-sheds users every minute.
 * - Never above the operator's maximum; a level above it (the max was just lowered) comes down at once.
 * - The operator wins: while the stored level was set by the operator, or auto is off, nothing changes.
 */
import type { LoadLevel } from '../../core/protocol.js';

/** One lane (one function with reserved concurrency) over the measurement window. */
export interface LaneReading {
  readonly route: string;
  /** Peak concurrent executions in the window. */
  readonly concurrency: number;
  /** The lane's reserved concurrency: the most it can run at once. */
  readonly reserved: number;
  readonly throttles: number;
  readonly invocations: number;
  readonly errors: number;
}

export interface Utilization {
  /** Epoch ms the reading ends at. */
  readonly at: number;
  readonly lanes: readonly LaneReading[];
}

export interface AutoSettings {
  readonly enabled: boolean;
  /** The highest level auto may set (the operator's cap). */
  readonly maxLevel: LoadLevel;
}

/** What the controller needs of the stored state (runtime/store/load-level.ts keeps it). */
export interface LevelState {
  readonly level: LoadLevel;
  /** Who set the current level; `operator` holds it until the operator releases it. */
  readonly setBy: 'operator' | 'auto';
  /** Epoch ms of the last level change; null when never set. */
  readonly changedAt: number | null;
  readonly auto: AutoSettings;
}

export interface ControllerPolicy {
  /** Pressure (0..1, the hottest lane's concurrency / reserved) at which levels 1, 2 and 3 start. */
  readonly raiseAt: readonly [number, number, number];
  /** Error rate (errors / invocations over every lane) at which levels 1, 2 and 3 start. */
  readonly errorRateAt: readonly [number, number, number];
  /** A level is left only when pressure is below its raise threshold minus this band. */
  readonly hysteresis: number;
  /** Minimum time between a change and the next step down. */
  readonly coolDownMs: number;
  /** Below this many invocations the error rate is noise and is ignored. */
  readonly minInvocations: number;
}

/**
 * Kakao's active-thread ratio was about 6% in normal times; these start shedding when the hottest lane is
 * past half its reservation. A throttled lane counts as full.
 */
export const DEFAULT_POLICY: ControllerPolicy = {
  raiseAt: [0.5, 0.7, 0.85],
  errorRateAt: [0.02, 0.05, 0.1],
  hysteresis: 0.15,
  coolDownMs: 5 * 60_000,
  minInvocations: 50,
};

/** The figures a decision is made from; stored with the level so `traffic status` can say why. */
export interface Figures {
  /** Epoch ms of the reading. */
  readonly at: number;
  /** The hottest lane's utilization (1 when it throttled). */
  readonly pressure: number;
  /** The hottest lane's route, or null when no lane had a reservation. */
  readonly hottest: string | null;
  /** Errors / invocations over every lane; null below `minInvocations`. */
  readonly errorRate: number | null;
  readonly throttles: number;
  /** Per lane: utilization rounded to 3 places. */
  readonly lanes: Readonly<Record<string, number>>;
}

export type Action = 'raise' | 'lower' | 'hold';

export interface Decision {
  readonly action: Action;
  readonly previous: LoadLevel;
  readonly level: LoadLevel;
  /** The level the figures alone ask for (before the max, the hysteresis and the cool-down). */
  readonly wanted: LoadLevel;
  /** One sentence for the on-call engineer. */
  readonly reason: string;
  readonly figures: Figures;
}

const round = (n: number) => Math.round(n * 1000) / 1000;
const percent = (n: number) => `${Math.round(n * 1000) / 10}%`;

/** Reduces a reading to the figures: the hottest lane, the error rate, the throttles. */
export function measure(utilization: Utilization, policy: ControllerPolicy = DEFAULT_POLICY): Figures {
  const lanes: Record<string, number> = {};
  let pressure = 0;
  let hottest: string | null = null;
  let throttles = 0;
  let invocations = 0;
  let errors = 0;
  for (const lane of utilization.lanes) {
    throttles += Math.max(0, lane.throttles);
    invocations += Math.max(0, lane.invocations);
    errors += Math.max(0, lane.errors);
    if (!(lane.reserved > 0)) continue;
    const used = lane.throttles > 0 ? 1 : Math.min(1, Math.max(0, lane.concurrency) / lane.reserved);
    lanes[lane.route] = round(used);
    if (hottest === null || used > pressure) {
      pressure = used;
      hottest = lane.route;
    }
  }
  const errorRate = invocations >= policy.minInvocations ? round(errors / invocations) : null;
  return { at: utilization.at, pressure: round(pressure), hottest, errorRate, throttles, lanes };
}

/** The level the figures ask for: the highest whose pressure or error threshold is reached. */
export function wantedLevel(figures: Figures, policy: ControllerPolicy = DEFAULT_POLICY): LoadLevel {
  for (const level of [3, 2, 1] as const) {
    if (figures.pressure >= policy.raiseAt[level - 1]) return level;
    if (figures.errorRate !== null && figures.errorRate >= policy.errorRateAt[level - 1]) return level;
  }
  return 0;
}

/** True when the figures are calm enough to leave `level` (below its thresholds by the hysteresis band). */
function calmBelow(level: 1 | 2 | 3, figures: Figures, policy: ControllerPolicy): boolean {
  const pressureCalm = figures.pressure < policy.raiseAt[level - 1] - policy.hysteresis;
  const errorsCalm = figures.errorRate === null || figures.errorRate < policy.errorRateAt[level - 1] / 2;
  return pressureCalm && errorsCalm;
}

function describeFigures(f: Figures): string {
  const lane = f.hottest ? `${f.hottest} at ${percent(f.pressure)} of its lane` : 'no lane measured';
  const errors = f.errorRate === null ? '' : `, errors ${percent(f.errorRate)}`;
  const throttles = f.throttles > 0 ? `, ${f.throttles} throttled` : '';
  return `${lane}${errors}${throttles}`;
}

export interface DecideOptions {
  readonly now: number;
  readonly policy?: ControllerPolicy;
}

/** The controller's one step: what level the region should be at now, and why. */
export function decide(state: LevelState, utilization: Utilization, options: DecideOptions): Decision {
  const policy = options.policy ?? DEFAULT_POLICY;
  const figures = measure(utilization, policy);
  const wanted = wantedLevel(figures, policy);
  const previous = state.level;
  const hold = (reason: string): Decision => ({
    action: 'hold',
    previous,
    level: previous,
    wanted,
    reason,
    figures,
  });
  const move = (level: LoadLevel, reason: string): Decision => ({
    action: level > previous ? 'raise' : 'lower',
    previous,
    level,
    wanted,
    reason,
    figures,
  });
  const seen = describeFigures(figures);

  if (!state.auto.enabled) return hold(`auto is off; ${seen}`);
  if (state.setBy === 'operator') {
    return hold(`the operator set level ${previous}; auto resumes after: chatctl traffic auto on (${seen})`);
  }
  const max = state.auto.maxLevel;
  if (previous > max) return move(max, `above the operator's maximum ${max}; ${seen}`);
  const target = Math.min(wanted, max) as LoadLevel;
  if (target > previous) {
    const capped = wanted > max ? ` (wanted ${wanted}, capped at the operator's maximum ${max})` : '';
    return move(target, `${seen}${capped}`);
  }
  if (previous === 0) return hold(`normal: ${seen}`);
  if (!calmBelow(previous, figures, policy)) return hold(`still loaded: ${seen}`);
  const since = state.changedAt === null ? Number.POSITIVE_INFINITY : options.now - state.changedAt;
  if (since < policy.coolDownMs) {
    const left = Math.ceil((policy.coolDownMs - since) / 1000);
    return hold(`calm (${seen}), cooling down ${left} s more before lowering`);
  }
  return move((previous - 1) as LoadLevel, `calm for the cool-down: ${seen}`);
}
