/**
 * Flags shared by commands. Every time flag takes a duration (500ms, 5s, 2m); a value that is not one
 * fails while the flags are parsed, so it exits 2 like every other bad flag (see docs/exit-codes.md).
 */
import { Flags } from '@oclif/core';
import { type DurationUnit, formatDuration, parseDuration } from '../core/duration.js';

export interface DurationFlagOptions {
  readonly description: string;
  /** Milliseconds. */
  readonly default?: number;
  /** Milliseconds. */
  readonly min?: number;
  /** Milliseconds. */
  readonly max?: number;
  /** The unit of a bare number (default ms). */
  readonly bare?: DurationUnit;
}

/** A duration flag whose value is in milliseconds. */
export function durationFlag(options: DurationFlagOptions) {
  const bare = options.bare ?? 'ms';
  return Flags.custom<number>({
    description: `${options.description} (a duration: 500ms, 5s, 2m; a bare number is in ${bare})`,
    helpValue: '<duration>',
    ...(options.default === undefined
      ? {}
      : { default: options.default, defaultHelp: async () => formatDuration(options.default ?? 0) }),
    parse: async (input) => {
      let ms: number;
      try {
        ms = parseDuration(input, bare);
      } catch {
        throw new Error(
          `"${input}" is not a duration: use 500ms, 5s, 2m or 1h (a bare number is in ${bare})`,
        );
      }
      if (options.min !== undefined && ms < options.min) {
        throw new Error(`${input} is below the minimum, ${formatDuration(options.min)}`);
      }
      if (options.max !== undefined && ms > options.max) {
        throw new Error(`${input} is above the maximum, ${formatDuration(options.max)}`);
      }
      return ms;
    },
  })();
}

const REGION_INPUTS = new WeakMap<object, readonly string[]>();

/**
 * Marks a flag or argument as naming a region: it takes the region's key or its AWS region code
 * (ap-northeast-1 -> tokyo), and the base command checks it and turns a code into its key before the command
 * runs. `also`: other words it takes (china origin's `global`).
 */
export function regionInput<T extends object>(definition: T, also: readonly string[] = []): T {
  REGION_INPUTS.set(definition, also);
  return definition;
}

/** The other words a region flag or argument takes; undefined when it names no region. */
export function regionInputWords(definition: unknown): readonly string[] | undefined {
  return typeof definition === 'object' && definition !== null ? REGION_INPUTS.get(definition) : undefined;
}
