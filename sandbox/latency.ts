/**
 * The sandbox's one model of distance between AWS regions, behind its latency-based routing (Route 53 picks
 * the region with the lowest round trip), its cross-region calls (a Lambda Invoke crosses the one-way
 * network time) and its replication lag (a change reaches another region after the one-way network time plus
 * the replication's own work). A few pairs are set from published
 * inter-region measurements; the rest follow the great-circle distance between the regions' cities (light
 * in fibre is ~200 km/ms, and real paths run ~1.6x the straight line).
 */

/** Latitude, longitude of each commercial region's city. */
const COORDINATES: Readonly<Record<string, readonly [number, number]>> = {
  'us-east-1': [38.9, -77.4],
  'us-east-2': [40.0, -83.0],
  'us-west-1': [37.4, -122.0],
  'us-west-2': [45.8, -119.7],
  'af-south-1': [-33.9, 18.4],
  'ap-east-1': [22.3, 114.2],
  'ap-east-2': [25.0, 121.5],
  'ap-south-1': [19.1, 72.9],
  'ap-south-2': [17.4, 78.5],
  'ap-southeast-1': [1.35, 103.8],
  'ap-southeast-2': [-33.9, 151.2],
  'ap-southeast-3': [-6.2, 106.8],
  'ap-southeast-4': [-37.8, 145.0],
  'ap-southeast-5': [3.1, 101.7],
  'ap-southeast-7': [13.8, 100.5],
  'ap-northeast-1': [35.7, 139.7],
  'ap-northeast-2': [37.6, 127.0],
  'ap-northeast-3': [34.7, 135.5],
  'ca-central-1': [45.5, -73.6],
  'ca-west-1': [51.0, -114.1],
  'eu-central-1': [50.1, 8.7],
  'eu-central-2': [47.4, 8.5],
  'eu-west-1': [53.3, -6.3],
  'eu-west-2': [51.5, -0.1],
  'eu-west-3': [48.9, 2.35],
  'eu-south-1': [45.5, 9.2],
  'eu-south-2': [41.6, -0.9],
  'eu-north-1': [59.3, 18.1],
  'il-central-1': [32.1, 34.8],
  'me-south-1': [26.1, 50.6],
  'me-central-1': [25.2, 55.3],
  'mx-central-1': [20.6, -100.4],
  'sa-east-1': [-23.5, -46.6],
};

/** Great-circle distance in km. */
function distanceKm(a: readonly [number, number], b: readonly [number, number]): number {
  const rad = Math.PI / 180;
  const dLat = (b[0] - a[0]) * rad;
  const dLon = (b[1] - a[1]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(h));
}

/** Measured round trips (ms) that the distance model would get noticeably wrong. */
const MEASURED: Readonly<Record<string, number>> = {
  'ap-northeast-1|ap-northeast-2': 33,
  'ap-northeast-1|ap-northeast-3': 9,
  'ap-northeast-2|ap-northeast-3': 25,
  'ap-northeast-1|us-west-2': 120,
  'ap-northeast-2|us-west-2': 128,
  'ap-northeast-1|us-west-1': 110,
  'ap-northeast-2|us-west-1': 135,
  'ap-northeast-1|us-east-1': 160,
  'ap-northeast-2|us-east-1': 185,
  'ap-northeast-1|ap-southeast-1': 70,
  'ap-northeast-2|ap-southeast-1': 75,
  'us-east-1|us-west-2': 65,
  'us-east-1|eu-west-1': 70,
  'eu-central-1|eu-west-1': 25,
};

/** The latency within one region (client to its nearest region). */
const SAME_REGION_MS = 2;
const FALLBACK_MS = 250;

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** Round-trip latency in ms between two AWS regions (symmetric). */
export function roundTripMs(from: string, to: string): number {
  if (from === to) return SAME_REGION_MS;
  const measured = MEASURED[pairKey(from, to)];
  if (measured !== undefined) return measured;
  const a = COORDINATES[from];
  const b = COORDINATES[to];
  if (!a || !b) return FALLBACK_MS;
  return Math.round(5 + (2 * distanceKm(a, b) * 1.6) / 200);
}

/**
 * One-way network time in ms between two AWS regions, what a cross-region call (a Lambda Invoke) crosses each
 * way: half the round trip (0 within one region). The capacity planner prices Invokes with it too.
 */
export function networkMs(fromAwsRegion: string, toAwsRegion: string): number {
  if (fromAwsRegion === toAwsRegion) return 0;
  return roundTripMs(fromAwsRegion, toAwsRegion) / 2;
}

/**
 * What Global Tables' replication pipeline adds to the network time (reading the change from the source's
 * log, shipping it and applying it in the replica). AWS documents that changes are "typically replicated
 * to all other regions within a second" (DynamoDB Developer Guide, global tables tutorial, MREC), and an
 * AWS article on monitoring the lag gives "typical latency of between 0.5 - 2.5 seconds between AWS Regions
 * in the same geographic area". 700 ms sits at the low end of that range, so that a message relayed by a
 * Lambda Invoke (the network time each way, networkMs, plus Lambda's overhead: tens of ms) arrives well
 * before its item, as on AWS.
 * The topology's sandbox.replicationDelayMs replaces it (lower for fast test runs, higher for rehearsals).
 */
export const GLOBAL_TABLES_PIPELINE_MS = 700;

/**
 * Default one-way replication lag in ms between two AWS region codes: the network time plus the Global
 * Tables pipeline (by default Seoul-Tokyo 717 ms, Seoul-Oregon 764 ms, Seoul-Virginia 793 ms).
 */
export function defaultLagMs(
  fromAwsRegion: string,
  toAwsRegion: string,
  pipelineMs = GLOBAL_TABLES_PIPELINE_MS,
): number {
  if (fromAwsRegion === toAwsRegion) return 0;
  return Math.round(networkMs(fromAwsRegion, toAwsRegion) + pipelineMs);
}

/**
 * Replication lag settings: a number for every pair, or a map of "from:to" region keys (either direction
 * applies to both unless the reverse is also given) with an optional "*" default. They do not touch a
 * cross-region call, which takes the network time (a latency fault is what slows a region's network).
 */
export type LagSetting = number | Readonly<Record<string, number>>;

function lagFor(
  setting: LagSetting | undefined,
  from: { key: string; awsRegion: string },
  to: { key: string; awsRegion: string },
  pipelineMs = GLOBAL_TABLES_PIPELINE_MS,
): number {
  if (typeof setting === 'number') return setting;
  if (setting) {
    const direct = setting[`${from.key}:${to.key}`] ?? setting[`${to.key}:${from.key}`] ?? setting['*'];
    if (direct !== undefined) return direct;
  }
  return defaultLagMs(from.awsRegion, to.awsRegion, pipelineMs);
}

/** The lag between two regions when both are known, else 100 ms (a region being added or removed). */
export function lagBetween(
  setting: LagSetting | undefined,
  from: { key: string; awsRegion: string } | undefined,
  to: { key: string; awsRegion: string } | undefined,
  pipelineMs = GLOBAL_TABLES_PIPELINE_MS,
): number {
  return from && to ? lagFor(setting, from, to, pipelineMs) : 100;
}

/** The lag modelled for every ordered pair of region keys, as sandbox.json carries it ("from:to" -> ms). */
export function lagModel(
  keys: readonly string[],
  lagMs: (from: string, to: string) => number,
  pipelineMs = GLOBAL_TABLES_PIPELINE_MS,
): { pipelineMs: number; lagMs: Record<string, number> } {
  const pairs: Record<string, number> = {};
  for (const from of keys) for (const to of keys) if (from !== to) pairs[`${from}:${to}`] = lagMs(from, to);
  return { pipelineMs, lagMs: pairs };
}
