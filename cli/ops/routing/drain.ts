/**
 * The one routine that changes production routing: `drain` takes a region out of latency routing by
 * inverting its Route 53 health check, `restore` puts it back by reverting it. `chatctl drain`/`restore` and
 * every drill go through it: the safety rules first (for a drain that changes something), a hook that lets
 * the caller journal the change before it is made, the change, and verification with TestDNSAnswer from the
 * region's probe subnet.
 */
import { type HealthCheck, type Route53Client, UpdateHealthCheckCommand } from '@aws-sdk/client-route-53';
import { UserError } from '../../../core/errors.js';
import { findRegion } from '../../../core/topology.js';
import { route53Client } from '../aws/clients.js';
import { explainAwsError } from '../aws/errors.js';
import { answerIndex, findHealthCheck, testDnsFrom } from '../aws/route53.js';
import type { Target } from '../target.js';
import { withRoutingLock } from './lock.js';
import { drainSafety, readRoutingStates } from './observe.js';
import { assertSafe, type SafetyProblem } from './safety.js';
import { verifyShift } from './verify.js';

export type RoutingAction = 'drain' | 'restore';

export interface DnsShift {
  /** The region whose probe subnet asked. */
  readonly from: string;
  readonly before?: string;
  readonly after?: string;
  /** From the health-check change to the first answer that shows it. */
  readonly elapsedMs: number;
  readonly records: readonly string[];
  /**
   * Whether the answer moved (drain: away from the region; restore: back to it). False when the region's
   * subnet was answered elsewhere before a drain (it was out of DNS already, or its subnet does not reach it)
   * or by the region itself before a restore: no shift happened, and none is reported.
   */
  readonly shifted: boolean;
}

export interface DrainResult {
  readonly action: RoutingAction;
  readonly region: string;
  readonly healthCheckId: string;
  /** False when the health check was already as asked (nothing changed). */
  readonly changed: boolean;
  readonly inverted: { readonly before: boolean; readonly after: boolean };
  /** Safety rules that --force overrode (drain only). */
  readonly overridden: readonly SafetyProblem[];
  readonly dns?: DnsShift;
}

/** A change about to be made, or just made, as the journal hooks see it. */
export interface RoutingChange {
  readonly action: RoutingAction;
  readonly region: string;
  readonly healthCheckId: string;
  /** False when the health check is already as asked: nothing is sent to Route 53. */
  readonly changed: boolean;
}

export interface DrainOptions {
  /** Override the safety rules (the command asks for the key typed back first). */
  readonly force?: boolean;
  /** Poll TestDNSAnswer until the change shows (default true). */
  readonly verify?: boolean;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly client?: Route53Client;
  /** The command the safety hints name ("drill" for a drill). */
  readonly command?: 'drain' | 'drill';
  /** Awaited just before the health check is updated: the drill writes its intent to the journal here. */
  readonly beforeChange?: (change: RoutingChange) => Promise<void> | void;
  /**
   * Awaited once the health check is as asked (changed or already so), before verification; `at` is
   * performance.now() when the change was sent (where the time to shift starts).
   */
  readonly afterChange?: (change: RoutingChange, at: number) => Promise<void> | void;
}

export function drainRegion(target: Target, key: string, options: DrainOptions = {}): Promise<DrainResult> {
  return changeRegionRouting(target, key, 'drain', options);
}

export function restoreRegion(target: Target, key: string, options: DrainOptions = {}): Promise<DrainResult> {
  return changeRegionRouting(target, key, 'restore', options);
}

async function setInverted(client: Route53Client, check: HealthCheck, inverted: boolean): Promise<void> {
  await client
    .send(new UpdateHealthCheckCommand({ HealthCheckId: check.Id, Inverted: inverted }))
    .catch((error) =>
      Promise.reject(
        explainAwsError(error, `${inverted ? 'inverting' : 'reverting'} health check ${check.Id}`),
      ),
    );
}

/**
 * After a drain's write: when fewer than minHealthyRegions regions are left serving (not inverted), another
 * operator drained at the same moment (on another machine: no shared lock), so this drain puts its region
 * back and says so. Checks are read as configured, which a concurrent write changes at once.
 */
async function revertIfRuleBroken(
  target: Target,
  client: Route53Client,
  check: HealthCheck,
  key: string,
): Promise<void> {
  const states = await readRoutingStates(target, client);
  const serving = states.filter((s) => s.healthCheckId && !s.inverted && !s.disabled).map((s) => s.key);
  const min = target.topology.minHealthyRegions;
  if (serving.length >= min) return;
  await setInverted(client, check, false);
  throw new UserError(
    `another routing change drained a region at the same time: with ${key} drained only ${serving.join(', ') || 'no region'} would serve (minHealthyRegions is ${min}), so ${key} was put back (its health check ${check.Id} is reverted, serving)`,
    { hint: `see the routing now: chatctl health; then drain again if still meant: chatctl drain ${key}` },
  );
}

/**
 * A drain whose DNS did not move did not do what it was for (the other regions may all be out, and Route 53
 * then answers every record): it is undone, under the lock, and the error says so, rather than leaving a
 * health check inverted behind a "DNS did not move".
 */
async function undoDrain(client: Route53Client, check: HealthCheck, key: string, why: UserError) {
  try {
    await withRoutingLock(() => setInverted(client, check, false));
  } catch (error) {
    return new UserError(
      `${why.message}; undoing the drain failed too (${(error as Error).message}): ${key} is still drained (health check ${check.Id} inverted)`,
      { hint: `put it back: chatctl restore ${key}; then see why DNS did not move: chatctl health` },
    );
  }
  return new UserError(
    `${why.message}, so the drain was undone: ${key}'s health check ${check.Id} is reverted (serving, as before)`,
    { hint: `see why: chatctl health; to drain without waiting for DNS: chatctl drain ${key} --no-verify` },
  );
}

/** A restore (or a drain that changed nothing) whose DNS did not show it: the error says what Route 53 holds. */
function leftAs(action: RoutingAction, check: HealthCheck, key: string, why: UserError): UserError {
  const state =
    action === 'restore'
      ? `${key} is restored in Route 53 (health check ${check.Id} reverted); DNS may follow later`
      : `${key} was already drained (health check ${check.Id} inverted) and is left so`;
  return new UserError(`${why.message}; ${state}`, {
    hint: action === 'restore' ? 'see the regions and their checks: chatctl health' : (why.hint ?? ''),
  });
}

/**
 * Drain (invert the region's health check) or restore (revert it), then, unless `verify` is false, poll
 * TestDNSAnswer from the region's probe subnet until the answer shows the change. Only a drain that changes
 * something runs the safety rules.
 */
async function changeRegionRouting(
  target: Target,
  key: string,
  action: RoutingAction,
  options: DrainOptions,
): Promise<DrainResult> {
  findRegion(target.topology, key);
  const inverted = action === 'drain';
  const client = options.client ?? (await route53Client(target));
  try {
    const verify = options.verify !== false;
    const index = verify ? await answerIndex(target, client) : undefined;
    // The rules' read and the write under one lock; the re-read after the write for other machines (lock.ts).
    const { check, before, changed, overridden, initial, at } = await withRoutingLock(async () => {
      const check = await findHealthCheck(target, client, key);
      const before = check.HealthCheckConfig?.Inverted === true;
      const changed = before !== inverted;
      let overridden: SafetyProblem[] = [];
      if (inverted && changed) {
        const verdict = await drainSafety(target, key, { client, command: options.command });
        if (!verdict.ok && !options.force) {
          assertSafe(verdict, key, { forceHint: options.command !== 'drill' });
        }
        overridden = [...verdict.problems];
      }
      const initial = index ? await testDnsFrom(target, client, key, index) : undefined;
      const change: RoutingChange = { action, region: key, healthCheckId: check.Id!, changed };
      await options.beforeChange?.(change);
      const at = performance.now();
      if (changed) await setInverted(client, check, inverted);
      if (inverted && changed && !options.force) await revertIfRuleBroken(target, client, check, key);
      await options.afterChange?.(change, at);
      return { check, before, changed, overridden, initial, at };
    });
    let dns: DnsShift | undefined;
    if (index) {
      // A drain shows only if the region's own subnet was answered by the region before: otherwise the answer
      // after it says nothing about this change, and waiting for "not the region" would pass at once.
      const canShift = action === 'drain' ? initial?.region === key : initial?.region !== key;
      const shifted = canShift
        ? await verifyShift(target, client, action, key, {
            since: at,
            timeoutMs: options.timeoutMs,
            signal: options.signal,
            index,
          }).catch((error: Error) =>
            options.signal?.aborted || !(error instanceof UserError)
              ? Promise.reject(error)
              : Promise.reject(
                  action === 'drain' && changed
                    ? undoDrain(client, check, key, error)
                    : leftAs(action, check, key, error),
                ),
          )
        : { answer: await testDnsFrom(target, client, key, index), elapsedMs: performance.now() - at };
      dns = {
        from: key,
        before: initial?.region,
        after: shifted.answer.region,
        elapsedMs: Math.round(shifted.elapsedMs),
        records: shifted.answer.records,
        shifted: canShift,
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
