/** Durations as every time flag takes them: 500ms, 5s, 2m, 1h, 7d; a bare number is in the flag's own unit. */
import { UserError } from './errors.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type DurationUnit = keyof typeof UNIT_MS;

/** Milliseconds for `text`; `bare` is the unit of a number without one (ms for timeouts, s for a lifetime). */
export function parseDuration(text: string, bare: DurationUnit = 's'): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) {
    throw new UserError(`"${text}" is not a duration`, {
      hint: `use a number with a unit: 500ms, 5s, 2m, 1h (a bare number is in ${bare})`,
      exitCode: 2,
    });
  }
  return Math.round(Number(match[1]) * UNIT_MS[(match[2] as DurationUnit | undefined) ?? bare]);
}

/** 1500 -> "1.5s", 120000 -> "2m": the shortest exact form, for help defaults and messages. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return ms >= 1000 ? `${ms / 1000}s` : `${ms}ms`;
}
