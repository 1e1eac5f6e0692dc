/**
 * The safety rules of drain and drill, in the spirit of Route 53 ARC's safety rules: pure functions of the
 * observed routing state, so they are the same against the sandbox and AWS and are tested without either.
 */
import { UserError } from '../../../core/errors.js';
import type { Topology } from '../../../core/topology.js';

/** What Route 53 says of one region's health check. */
export interface RegionRoutingState {
  readonly key: string;
  /** The checkers' verdict (GetHealthCheckStatus), by Route 53's own rule (aws/route53.ts checkersHealthy). */
  readonly healthy: boolean;
  /** Inverted: the region is drained (taken out of latency routing). */
  readonly inverted: boolean;
  /** Disabled: Route 53 treats the check as healthy whatever the checkers see. */
  readonly disabled?: boolean;
}

/**
 * The China proxy as deployed (CloudFront), not as chatctl.json says it should be. With the origin the global
 * name (followsDns), China's users follow a drain as every user does, so no rule guards it; a pinned origin
 * stays on its region, drained or not, so draining that region needs the origin moved first.
 */
export interface ChinaOriginState {
  readonly enabled: boolean;
  /** The region the distribution's primary origin is pinned to (undefined when it follows DNS or is not ours). */
  readonly origin?: string;
  /** The origin is chat.<domain>: CloudFront reaches the region latency DNS gives its edge. */
  readonly followsDns: boolean;
  /** Other regions the distribution can fail over to (an origin group); usually none. */
  readonly failoverOrigins: readonly string[];
}

export type SafetyRule = 'unknown-region' | 'already-drained' | 'min-healthy' | 'china-origin';

export interface SafetyProblem {
  readonly rule: SafetyRule;
  readonly message: string;
  readonly hint: string;
}

export interface SafetyVerdict {
  readonly ok: boolean;
  /** Regions that serve now (healthy and not drained). */
  readonly serving: readonly string[];
  /** Regions that would still serve after the drain. */
  readonly remaining: readonly string[];
  readonly problems: readonly SafetyProblem[];
  /** When the region is the pinned China origin: where the origin should move to (the first serving other). */
  readonly chinaOriginSuggestion?: string;
}

export interface SafetyInput {
  readonly topology: Pick<Topology, 'minHealthyRegions' | 'homeRegion' | 'regions'>;
  readonly key: string;
  readonly regions: readonly RegionRoutingState[];
  readonly china?: ChinaOriginState;
  /** A drill that moves the China origin away first (--move-china-origin) satisfies the China rule. */
  readonly moveChinaOrigin?: boolean;
  /** The command the hint tells the user to re-run with a flag: "drain" or "drill failover". */
  readonly command?: 'drain' | 'drill';
}

/** A region serves users when its check is not inverted and it is healthy (a disabled check counts as healthy). */
export function isServing(state: RegionRoutingState): boolean {
  return !state.inverted && (state.healthy || state.disabled === true);
}

/** Picks where the China origin should go: the home region if it serves, else the first serving region. */
export function suggestChinaOrigin(input: Pick<SafetyInput, 'topology' | 'key'>, serving: readonly string[]) {
  const others = serving.filter((key) => key !== input.key);
  if (others.includes(input.topology.homeRegion)) return input.topology.homeRegion;
  return others[0];
}

export function checkDrainSafety(input: SafetyInput): SafetyVerdict {
  const problems: SafetyProblem[] = [];
  const target = input.regions.find((r) => r.key === input.key);
  const serving = input.regions.filter(isServing).map((r) => r.key);
  const remaining = serving.filter((key) => key !== input.key);
  const command = input.command ?? 'drain';

  if (!target) {
    problems.push({
      rule: 'unknown-region',
      message: `region "${input.key}" has no health check in latency routing`,
      hint: 'run: chatctl region list (and chatctl health to see what Route 53 has)',
    });
  } else if (target.inverted) {
    problems.push({
      rule: 'already-drained',
      message: `region "${input.key}" is already drained (its health check is inverted)`,
      hint: `to put it back: chatctl restore ${input.key}`,
    });
  }

  const min = input.topology.minHealthyRegions;
  if (remaining.length < min) {
    const down = input.regions.filter((r) => r.key !== input.key && !isServing(r));
    const drained = down.filter((r) => r.inverted).map((r) => r.key);
    const unhealthy = down.filter((r) => !r.inverted).map((r) => r.key);
    const why = [
      drained.length > 0 ? `drained: ${drained.join(', ')}` : '',
      unhealthy.length > 0 ? `unhealthy: ${unhealthy.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    problems.push({
      rule: 'min-healthy',
      message:
        `draining "${input.key}" would leave ${remaining.length} healthy region(s)` +
        `${remaining.length > 0 ? ` (${remaining.join(', ')})` : ''}; the topology requires at least ${min}` +
        `${why ? ` (${why})` : ''}`,
      hint:
        drained.length > 0
          ? `restore a drained region first: chatctl restore ${drained[0]}`
          : 'bring another region back to health first: see chatctl health',
    });
  }

  const china = input.china;
  let chinaOriginSuggestion: string | undefined;
  if (china?.enabled && !china.followsDns && china.origin === input.key) {
    chinaOriginSuggestion = suggestChinaOrigin(input, serving);
    const failover = china.failoverOrigins.filter((key) => key !== input.key);
    if (failover.length === 0 && !input.moveChinaOrigin) {
      const other = chinaOriginSuggestion ?? '<another region>';
      problems.push({
        rule: 'china-origin',
        message: `region "${input.key}" is the China proxy's origin (pinned to it) and the proxy has no other origin: users in China would lose the chat`,
        hint:
          command === 'drill'
            ? `re-run with --move-china-origin (moves it to ${other} first and back afterwards), or run: chatctl china origin ${other}`
            : `let it follow DNS (chatctl china origin global), or move it first: chatctl china origin ${other}`,
      });
    }
  }

  return { ok: problems.length === 0, serving, remaining, problems, chinaOriginSuggestion };
}

/** Throws a UserError that lists every broken rule and what to run, unless the verdict is ok. */
export function assertSafe(verdict: SafetyVerdict, key: string, options: { forceHint?: boolean } = {}): void {
  if (verdict.ok) return;
  const lines = verdict.problems.map((p) => `  - ${p.message}`);
  const hints = verdict.problems.map((p) => p.hint);
  if (options.forceHint) hints.push('or, knowing the risk: --force (asks for the region key typed back)');
  throw new UserError(`refusing to drain ${key}:\n${lines.join('\n')}`, { hint: hints.join('; ') });
}

/**
 * `--force` asks for the region key typed back, and refuses when nobody is at a terminal to type it:
 * a script must never override a safety rule by accident.
 */
export async function confirmForce(
  key: string,
  io: { isTTY: boolean; ask: (question: string) => Promise<string> },
): Promise<void> {
  if (!io.isTTY) {
    throw new UserError(`--force needs the region key typed back at a terminal, and there is none`, {
      hint: `run it in an interactive terminal, or fix what the safety rules report and drop --force`,
    });
  }
  const answer = (await io.ask(`Type the region key (${key}) to override the safety rules: `)).trim();
  if (answer !== key) {
    throw new UserError(`confirmation did not match "${key}"; nothing was changed`, {
      hint: 'run the command again and type the region key exactly',
    });
  }
}

/** Reads a line from the terminal (used by --force). */
export async function askOnTerminal(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
