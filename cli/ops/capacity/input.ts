/**
 * What `chatctl capacity` plans for: flags over the saved profile (`capacity` in chatctl.json, validated by
 * the topology schema) over the defaults. A bad flag is a UserError that names the flag.
 */
import { UserError } from '../../../core/errors.js';
import { ROUTES, type Route } from '../../../core/protocol.js';
import type { CapacityProfile, Topology } from '../../../core/topology.js';

/** The flags as the command parsed them (strings where the user can write key=value). */
export interface CapacityFlags {
  readonly peakMsgs?: number;
  readonly avgRoom?: number;
  readonly crossRegionShare?: number;
  readonly connections?: number;
  readonly connectRate?: number;
  readonly regionShare?: readonly string[];
  readonly historyReadsPerMsg?: number;
  readonly avgToPeak?: number;
}

export interface CapacityInput {
  /** Messages sent per second at the peak, all regions. */
  readonly peakMsgs: number;
  /** Members per room. */
  readonly avgRoom: number;
  /** Share of messages sent in a room with members in one other region. */
  readonly crossRegionShare: number;
  /** Concurrent connections at the peak, all regions. */
  readonly connections: number;
  /** New connections per second at the peak, all regions. */
  readonly connectRate: number;
  /** Share of the traffic per region key (sums to 1). */
  readonly regionShare: Readonly<Record<string, number>>;
  /** History pages read per message sent. */
  readonly historyReadsPerMsg: number;
  /** The month's average traffic as a share of the peak. */
  readonly avgToPeak: number;
  /** Route durations to use instead of the measured ones (e.g. CloudWatch's Duration on AWS), ms. */
  readonly routeMs: Readonly<Partial<Record<Route, number>>>;
  /** Bytes of a message's text. */
  readonly textBytes: number;
  /** Where each value came from: flag, profile or default. */
  readonly from: Readonly<Record<string, 'flag' | 'profile' | 'default'>>;
}

/** Defaults, each with its reason (printed by the report). */
export const DEFAULTS = {
  avgRoom: 8,
  crossRegionShare: 0.02,
  /** A connected user sends a message every 100 s at the peak. */
  connectionsPerPeakMsg: 100,
  /** API Gateway closes a connection after 2 hours: every connection reconnects at least that often. */
  maxConnectionSeconds: 7200,
  historyReadsPerMsg: 0.05,
  avgToPeak: 0.3,
  textBytes: 100,
} as const;

const FLAG = {
  peakMsgs: '--peak-msgs',
  avgRoom: '--avg-room',
  crossRegionShare: '--cross-region-share',
  connections: '--connections',
  connectRate: '--connect-rate',
  regionShare: '--region-share',
  historyReadsPerMsg: '--history-reads-per-msg',
  avgToPeak: '--avg-to-peak',
} as const;

function bad(flag: string, message: string, hint: string): never {
  throw new UserError(`${flag} ${message}`, { hint, exitCode: 2 });
}

function checkNumber(flag: string, value: number | undefined): void {
  if (value !== undefined && Number.isNaN(value)) bad(flag, 'takes a number', `e.g. ${flag} 0.5`);
}

function checkPositive(flag: string, value: number | undefined): void {
  if (value === undefined) return;
  checkNumber(flag, value);
  if (!Number.isFinite(value) || value <= 0)
    bad(flag, `must be greater than 0 (got ${value})`, `e.g. ${flag} 1000`);
}

function checkShare(flag: string, value: number | undefined): void {
  if (value === undefined) return;
  checkNumber(flag, value);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    bad(flag, `is a share between 0 and 1 (got ${value})`, `e.g. ${flag} 0.02 for 2%`);
  }
}

/** `--region-share seoul=0.6 --region-share tokyo=0.3 ...` into shares that must cover every region and sum to 1. */
export function parseRegionShares(pairs: readonly string[], topology: Topology): Record<string, number> {
  const keys = topology.regions.map((r) => r.key);
  const example = keys
    .map((k, i) => `${FLAG.regionShare} ${k}=${i === 0 ? '0.5' : (0.5 / (keys.length - 1)).toFixed(2)}`)
    .join(' ');
  const shares: Record<string, number> = {};
  for (const pair of pairs) {
    const match = /^([a-z][a-z0-9]{1,11})=([0-9]*\.?[0-9]+)$/.exec(pair.trim());
    if (!match) bad(FLAG.regionShare, `takes key=share, such as seoul=0.5 (got "${pair}")`, example);
    const [, key, text] = match;
    if (!keys.includes(key))
      bad(
        FLAG.regionShare,
        `names no region of the topology: "${key}" (regions: ${keys.join(', ')})`,
        example,
      );
    if (key in shares) bad(FLAG.regionShare, `gives ${key} twice`, example);
    shares[key] = Number(text);
    checkShare(FLAG.regionShare, shares[key]);
  }
  const missing = keys.filter((k) => !(k in shares));
  if (missing.length > 0)
    bad(FLAG.regionShare, `must give every region a share; missing: ${missing.join(', ')}`, example);
  const sum = Object.values(shares).reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 0.001) {
    bad(FLAG.regionShare, `shares sum to ${Number(sum.toFixed(4))}; they must sum to 1`, example);
  }
  return shares;
}

/** Flags over the profile over the defaults; validated, with where each value came from. */
export function resolveCapacityInput(topology: Topology, flags: CapacityFlags): CapacityInput {
  checkPositive(FLAG.peakMsgs, flags.peakMsgs);
  checkPositive(FLAG.connections, flags.connections);
  checkPositive(FLAG.connectRate, flags.connectRate);
  checkShare(FLAG.crossRegionShare, flags.crossRegionShare);
  checkShare(FLAG.avgToPeak, flags.avgToPeak);
  if (flags.avgToPeak === 0) bad(FLAG.avgToPeak, 'must be greater than 0', `e.g. ${FLAG.avgToPeak} 0.3`);
  checkNumber(FLAG.avgRoom, flags.avgRoom);
  checkNumber(FLAG.historyReadsPerMsg, flags.historyReadsPerMsg);
  if (flags.avgRoom !== undefined && !(flags.avgRoom >= 1)) {
    bad(
      FLAG.avgRoom,
      `is the members of a room: at least 1 (got ${flags.avgRoom})`,
      `e.g. ${FLAG.avgRoom} 8`,
    );
  }
  if (flags.historyReadsPerMsg !== undefined && !(flags.historyReadsPerMsg >= 0)) {
    bad(
      FLAG.historyReadsPerMsg,
      `must be 0 or more (got ${flags.historyReadsPerMsg})`,
      `e.g. ${FLAG.historyReadsPerMsg} 0.05`,
    );
  }
  const profile: CapacityProfile = topology.capacity ?? {};
  const from: Record<string, 'flag' | 'profile' | 'default'> = {};
  const pick = <K extends keyof CapacityProfile & keyof CapacityFlags>(
    key: K,
    fallback: () => number,
  ): number => {
    const flag = flags[key] as number | undefined;
    const saved = profile[key] as number | undefined;
    from[key] = flag !== undefined ? 'flag' : saved !== undefined ? 'profile' : 'default';
    return flag ?? saved ?? fallback();
  };
  const peakMsgs = pick('peakMsgs', () =>
    bad(
      FLAG.peakMsgs,
      'is required: the messages per second to plan for',
      `e.g. chatctl capacity ${FLAG.peakMsgs} 427000, or save capacity.peakMsgs in chatctl.json`,
    ),
  );
  const connections = pick('connections', () => peakMsgs * DEFAULTS.connectionsPerPeakMsg);
  let regionShare: Record<string, number>;
  if (flags.regionShare && flags.regionShare.length > 0) {
    regionShare = parseRegionShares(flags.regionShare, topology);
    from.regionShare = 'flag';
  } else if (profile.regionShare) {
    regionShare = { ...profile.regionShare };
    for (const r of topology.regions) regionShare[r.key] ??= 0;
    from.regionShare = 'profile';
  } else {
    regionShare = Object.fromEntries(topology.regions.map((r) => [r.key, 1 / topology.regions.length]));
    from.regionShare = 'default';
  }
  const routeMs: Partial<Record<Route, number>> = {};
  for (const [route, ms] of Object.entries(profile.routeMs ?? {})) {
    if (ROUTES.includes(route as Route)) routeMs[route as Route] = ms;
  }
  return {
    peakMsgs,
    avgRoom: pick('avgRoom', () => DEFAULTS.avgRoom),
    crossRegionShare: pick('crossRegionShare', () => DEFAULTS.crossRegionShare),
    connections,
    connectRate: pick('connectRate', () => connections / DEFAULTS.maxConnectionSeconds),
    regionShare,
    historyReadsPerMsg: pick('historyReadsPerMsg', () => DEFAULTS.historyReadsPerMsg),
    avgToPeak: pick('avgToPeak', () => DEFAULTS.avgToPeak),
    routeMs,
    textBytes: DEFAULTS.textBytes,
    from,
  };
}
