/**
 * `chatctl traffic level|auto|status`: the per-region load level the runtime reads (CONFIG / LOAD#<region>),
 * written in each region's own replica so it takes effect there at once (the Global Table copies it to the
 * others), with who set it (the operator or the surge controller), why, and the auto settings.
 */
import { UserError } from '../../../core/errors.js';
import { LOAD_LEVELS, type LoadLevel } from '../../../core/protocol.js';
import { findRegion } from '../../../core/topology.js';
import { isLoadLevel, type LoadLevelRecord } from '../../../runtime/store/load-level.js';
import { dynamodbClient } from '../aws/clients.js';
import { readLoadLevel, writeAutoSettings, writeLoadLevel } from '../aws/dynamodb.js';
import { explainAwsError } from '../aws/errors.js';
import type { Target } from '../target.js';

export interface TrafficRegionLevel {
  readonly region: string;
  readonly awsRegion: string;
  readonly level: LoadLevel;
  /** What this level sheds (core/protocol.ts LOAD_LEVELS). */
  readonly sheds: string;
  readonly updatedAt: string | null;
  readonly reason?: string;
  /** Who set the level: the operator (holds until `traffic auto on`), auto (the surge controller), or nobody yet. */
  readonly setBy: 'operator' | 'auto' | null;
  /** The surge controller's figures behind an auto level. */
  readonly figures?: Readonly<Record<string, unknown>>;
  readonly auto: { readonly enabled: boolean; readonly maxLevel: LoadLevel };
}

export interface TrafficAutoResult {
  readonly enabled: boolean;
  readonly regions: readonly TrafficRegionLevel[];
}

export interface TrafficLevelResult {
  readonly level: LoadLevel;
  readonly sheds: string;
  readonly regions: readonly (TrafficRegionLevel & { readonly previous: LoadLevel })[];
}

export interface TrafficStatusResult {
  readonly regions: readonly TrafficRegionLevel[];
  /** Every level and what it sheds, for the reader. */
  readonly levels: Readonly<Record<string, string>>;
}

export function parseLevel(value: string): LoadLevel {
  const level = Number(value);
  if (!/^\d$/.test(value.trim()) || !isLoadLevel(level)) {
    throw new UserError(`"${value}" is not a load level`, {
      hint: `use 0-3: ${Object.entries(LOAD_LEVELS)
        .map(([n, text]) => `${n} = ${text}`)
        .join('; ')}`,
      exitCode: 2,
    });
  }
  return level;
}

function describe(record: LoadLevelRecord, awsRegion: string): TrafficRegionLevel {
  return {
    region: record.region,
    awsRegion,
    level: record.level,
    sheds: LOAD_LEVELS[record.level],
    updatedAt: record.updatedAt === null ? null : new Date(record.updatedAt).toISOString(),
    ...(record.reason ? { reason: record.reason } : {}),
    setBy: record.setBy,
    ...(record.figures ? { figures: record.figures } : {}),
    auto: record.auto,
  };
}

function regionsOf(target: Target, only?: string) {
  return only ? [findRegion(target.topology, only)] : target.topology.regions;
}

/** Sets the level in one region (`region`) or in every region, each in its own replica. */
export async function setTrafficLevel(
  target: Target,
  level: LoadLevel,
  options: { region?: string; reason?: string } = {},
): Promise<TrafficLevelResult> {
  if (!isLoadLevel(level)) parseLevel(String(level));
  const regions = await Promise.all(
    regionsOf(target, options.region).map(async (spec) => {
      const client = await dynamodbClient(target, spec.awsRegion);
      try {
        const previous = await readLoadLevel(target, client, spec.key);
        const record = await writeLoadLevel(target, client, spec.key, level, { reason: options.reason });
        return { ...describe(record, spec.awsRegion), previous: previous.level };
      } catch (error) {
        throw explainAwsError(error, `setting the load level of ${spec.key}`);
      } finally {
        client.destroy();
      }
    }),
  );
  return { level, sheds: LOAD_LEVELS[level], regions };
}

/**
 * Turns automatic load levels on or off in one region or all. On releases an operator's level (the controller
 * decides from its next run); off leaves the level where it is. `maxLevel` caps what auto may set.
 */
export async function setTrafficAuto(
  target: Target,
  enabled: boolean,
  options: { region?: string; maxLevel?: LoadLevel } = {},
): Promise<TrafficAutoResult> {
  if (options.maxLevel !== undefined && !isLoadLevel(options.maxLevel)) parseLevel(String(options.maxLevel));
  const regions = await Promise.all(
    regionsOf(target, options.region).map(async (spec) => {
      const client = await dynamodbClient(target, spec.awsRegion);
      try {
        const record = await writeAutoSettings(target, client, spec.key, {
          enabled,
          maxLevel: options.maxLevel,
        });
        return describe(record, spec.awsRegion);
      } catch (error) {
        throw explainAwsError(error, `turning auto load levels ${enabled ? 'on' : 'off'} in ${spec.key}`);
      } finally {
        client.destroy();
      }
    }),
  );
  return { enabled, regions };
}

/** Each region's level, read from its own replica (what its handlers see). */
export async function trafficStatus(
  target: Target,
  options: { region?: string } = {},
): Promise<TrafficStatusResult> {
  const regions = await Promise.all(
    regionsOf(target, options.region).map(async (spec) => {
      const client = await dynamodbClient(target, spec.awsRegion);
      try {
        return describe(await readLoadLevel(target, client, spec.key), spec.awsRegion);
      } catch (error) {
        throw explainAwsError(error, `reading the load level of ${spec.key}`);
      } finally {
        client.destroy();
      }
    }),
  );
  return { regions, levels: { ...LOAD_LEVELS } };
}
