/**
 * `chatctl drain <KEY>` / `chatctl restore <KEY>`: take a region out of latency routing by inverting its
 * Route 53 health check (and put it back by reverting it), after the safety rules, then verify the effect with
 * TestDNSAnswer from the region's probe subnet.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { findRegion } from '../../../core/topology.js';
import { chinaOriginState, cloudfront } from '../china/index.js';
import type { Target } from '../target.js';
import {
  answerIndex,
  type DnsAnswer,
  findHealthCheck,
  readRoutingStates,
  route53,
  setInverted,
  shiftTimeoutMs,
  testDnsFrom,
  waitForAnswer,
} from './route53.js';
import { assertSafe, checkDrainSafety, type SafetyProblem, type SafetyVerdict } from './safety.js';

export interface DnsShift {
  /** The region whose probe subnet asked. */
  readonly from: string;
  readonly before?: string;
  readonly after?: string;
  /** From the health-check change to the first answer that shows it. */
  readonly elapsedMs: number;
  readonly records: readonly string[];
}

export interface DrainResult {
  readonly action: 'drain' | 'restore';
  readonly region: string;
  readonly healthCheckId: string;
  /** False when the health check was already as asked (nothing changed). */
  readonly changed: boolean;
  readonly inverted: { readonly before: boolean; readonly after: boolean };
  /** Safety rules that --force overrode (drain only). */
  readonly overridden: readonly SafetyProblem[];
  readonly dns?: DnsShift;
}

export interface DrainOptions {
  /** Override the safety rules (the command asks for the key typed back first). */
  readonly force?: boolean;
  /** Poll TestDNSAnswer until the change shows (default true). */
  readonly verify?: boolean;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly client?: Route53Client;
}

/** Reads Route 53 and CloudFront and applies the safety rules for draining `key`. */
export async function drainSafety(
  target: Target,
  key: string,
  options: { client?: Route53Client; moveChinaOrigin?: boolean; command?: 'drain' | 'drill' } = {},
): Promise<SafetyVerdict> {
  findRegion(target.topology, key);
  const cf = cloudfront(target);
  try {
    const [regions, china] = await Promise.all([
      readRoutingStates(target, options.client ?? route53(target)),
      chinaOriginState(target, cf),
    ]);
    return checkDrainSafety({
      topology: target.topology,
      key,
      regions,
      china,
      moveChinaOrigin: options.moveChinaOrigin,
      command: options.command,
    });
  } finally {
    cf.destroy();
  }
}

export async function drainRegion(
  target: Target,
  key: string,
  options: DrainOptions = {},
): Promise<DrainResult> {
  return setRegionRouting(target, key, 'drain', options);
}

export async function restoreRegion(
  target: Target,
  key: string,
  options: DrainOptions = {},
): Promise<DrainResult> {
  return setRegionRouting(target, key, 'restore', options);
}

/**
 * Drain (invert the region's health check) or restore (revert it), then, unless `verify` is false, poll
 * TestDNSAnswer from the region's probe subnet until the answer shows the change. Only a drain that changes
 * something runs the safety rules.
 */
async function setRegionRouting(
  target: Target,
  key: string,
  action: 'drain' | 'restore',
  options: DrainOptions,
): Promise<DrainResult> {
  const inverted = action === 'drain';
  const client = options.client ?? route53(target);
  try {
    const check = await findHealthCheck(target, client, key);
    const before = check.HealthCheckConfig?.Inverted === true;
    const changed = before !== inverted;
    let overridden: SafetyProblem[] = [];
    if (inverted && changed) {
      const verdict = await drainSafety(target, key, { client });
      if (!verdict.ok && !options.force) assertSafe(verdict, key, { forceHint: true });
      overridden = [...verdict.problems];
    }
    const verify = options.verify !== false;
    const index = await answerIndex(target, client);
    const initial = verify ? await testDnsFrom(target, client, key, index) : undefined;
    const since = performance.now();
    if (changed) await setInverted(client, check, inverted);
    let dns: DnsShift | undefined;
    if (verify) {
      const shifted = await waitForAnswer(target, client, {
        from: key,
        accept: inverted
          ? (a: DnsAnswer) => a.region !== undefined && a.region !== key
          : (a: DnsAnswer) => a.region === key,
        describe: inverted ? `move ${key}'s users to another region` : `send ${key}'s users back to ${key}`,
        since,
        timeoutMs: options.timeoutMs ?? shiftTimeoutMs(target),
        signal: options.signal,
        index,
      });
      dns = {
        from: key,
        before: initial?.region,
        after: shifted.answer.region,
        elapsedMs: Math.round(shifted.elapsedMs),
        records: shifted.answer.records,
      };
    }
    return {
      action,
      region: key,
      healthCheckId: check.Id!,
      changed,
      inverted: { before, after: inverted },
      overridden,
      dns,
    };
  } finally {
    if (!options.client) client.destroy();
  }
}
