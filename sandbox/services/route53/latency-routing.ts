/**
 * Latency-based routing as Route 53 answers it: where a client address is (a region's probe subnet, else the
 * longest shared prefix), and which healthy latency record is nearest to it by the sandbox's one latency
 * model (sandbox/latency.ts).
 */
import { roundTripMs } from '../../latency.js';

/** An IPv4 address as a 32-bit unsigned number, or undefined if it is not one. */
export function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.trim().split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

function parseCidr(cidr: string): { base: number; bits: number } | undefined {
  const [ip, bits] = cidr.split('/');
  const base = ipv4ToNumber(ip ?? '');
  const n = Number(bits ?? 32);
  if (base === undefined || !Number.isInteger(n) || n < 0 || n > 32) return undefined;
  return { base, bits: n };
}

function commonPrefixBits(a: number, b: number): number {
  let bits = 0;
  for (let i = 31; i >= 0; i--) {
    if ((Math.floor(a / 2 ** i) & 1) !== (Math.floor(b / 2 ** i) & 1)) break;
    bits++;
  }
  return bits;
}

export interface Location {
  readonly subnet: string;
  readonly awsRegion: string;
}

/**
 * Where a client address is: the location whose subnet contains it, else the one sharing the longest
 * address prefix with it (at least /8), else undefined.
 */
export function locateClient(ip: string, locations: readonly Location[]): Location | undefined {
  const address = ipv4ToNumber(ip);
  if (address === undefined) return undefined;
  let best: { location: Location; bits: number } | undefined;
  for (const location of locations) {
    const cidr = parseCidr(location.subnet);
    if (!cidr) continue;
    const shared = commonPrefixBits(address, cidr.base);
    if (shared >= cidr.bits) return location;
    if (shared >= 8 && (!best || shared > best.bits)) best = { location, bits: shared };
  }
  return best?.location;
}

/**
 * The AWS region a client address is in: a region's probe subnet, else the nearest one by prefix, else
 * `fallback` (Route 53 answers for the resolver's location when it cannot place the client).
 */
export function clientRegion(
  ip: string | undefined,
  locations: readonly Location[],
  fallback: string,
): string {
  if (!ip) return fallback;
  return locateClient(ip, locations)?.awsRegion ?? fallback;
}

/**
 * The latency record Route 53 answers with: of the healthy records the one with the lowest round trip
 * from the client's region; when none is healthy, Route 53 considers them all (fail open).
 */
export function nearestRecord<T extends { readonly region: string }>(
  records: readonly T[],
  healthy: (record: T) => boolean,
  fromAwsRegion: string,
): T | undefined {
  const up = records.filter(healthy);
  const candidates = up.length > 0 ? up : records;
  let best = candidates[0];
  for (const candidate of candidates) {
    if (roundTripMs(fromAwsRegion, candidate.region) < roundTripMs(fromAwsRegion, best.region))
      best = candidate;
  }
  return best;
}
