/**
 * Default replication lag between two AWS regions, resembling real inter-region latency: a fixed cost plus
 * the great-circle distance at an effective ~100 km per ms (fibre routes are not straight lines).
 * Seoul-Tokyo comes out near 30 ms, Asia-North America near 100 ms, Asia-Europe near 110-130 ms.
 */

import { COORDINATES, distanceKm } from './geography.js';

/** One-way replication lag in ms between two AWS region codes. */
export function defaultLagMs(fromAwsRegion: string, toAwsRegion: string): number {
  if (fromAwsRegion === toAwsRegion) return 0;
  const a = COORDINATES[fromAwsRegion];
  const b = COORDINATES[toAwsRegion];
  if (!a || !b) return 100;
  return Math.round(20 + distanceKm(a, b) / 100);
}

/**
 * Lag settings: a number for every pair, or a map of "from:to" region keys (either direction applies to
 * both unless the reverse is also given) with an optional "*" default.
 */
export type LagSetting = number | Readonly<Record<string, number>>;

export function lagFor(
  setting: LagSetting | undefined,
  from: { key: string; awsRegion: string },
  to: { key: string; awsRegion: string },
): number {
  if (typeof setting === 'number') return setting;
  if (setting) {
    const direct = setting[`${from.key}:${to.key}`] ?? setting[`${to.key}:${from.key}`] ?? setting['*'];
    if (direct !== undefined) return direct;
  }
  return defaultLagMs(from.awsRegion, to.awsRegion);
}
