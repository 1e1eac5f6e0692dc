/**
 * The checks of one region for `chatctl health`: its WebSocket answers, its /health answers, Route 53 routes
 * to it, its relay answers, and its load level. Each runs under its own time limit (timed.ts).
 */
import { names } from '../../../core/names.js';
import { LOAD_LEVELS } from '../../../core/protocol.js';
import type { AwsClients } from '../aws/clients.js';
import { readLoadLevel } from '../aws/dynamodb.js';
import { invokeRelayDryRun } from '../aws/lambda.js';
import { checkerVerdict, healthCheckState, type Route53View, recordOf } from '../aws/route53.js';
import { answeredBy, isConnectionShed, type PingResult, pingOnce } from '../chat/probe.js';
import type { RegionEndpoints, Target } from '../target.js';
import { round } from '../time.js';
import { type Check, timed } from './timed.js';

/** A shedding region (load level 3) refuses new connections but serves chat: degraded, never drained. */
export const SHEDDING_ADVICE = (key: string) =>
  `the region sheds load but still serves its members: do not drain it; when the surge has passed: chatctl traffic level 0 --region ${key}`;

/** The ping of a probe, or, when the region sheds new connections (HTTP 429), a warn saying so. */
export async function pingOrShed(
  url: string,
  token: string,
  options: { timeoutMs: number; signal: AbortSignal },
  shedding: { detail: string; action: string },
): Promise<
  | { ping: PingResult; shed?: undefined }
  | { ping?: undefined; shed: { status: 'warn'; detail: string; action: string; data: { shedding: true } } }
> {
  try {
    return { ping: await pingOnce(url, token, options) };
  } catch (error) {
    if (!isConnectionShed(error)) throw error;
    return { shed: { status: 'warn', ...shedding, data: { shedding: true } } };
  }
}

export function websocketCheck(
  target: Target,
  region: RegionEndpoints,
  timeoutMs: number,
): Check<'websocket'> {
  return timed('websocket', timeoutMs, async (signal) => {
    const token = target.token(`probe-${region.spec.key}`, 300);
    const { ping, shed } = await pingOrShed(
      region.websocketUrl,
      token,
      { timeoutMs, signal },
      {
        detail:
          'new connections refused with HTTP 429: the region sheds load (level 3); connected members still chat',
        action: SHEDDING_ADVICE(region.spec.key),
      },
    );
    if (shed) return shed;
    const latencyMs = round(ping.totalMs);
    if (!answeredBy(target, ping.region, region.spec.key)) {
      return {
        status: 'fail',
        latencyMs,
        detail: `pong came from ${ping.region}, not ${region.spec.key}`,
        action: `the endpoint of ${region.spec.key} serves another region: check its custom domain mapping`,
        data: { pongRegion: ping.region },
      };
    }
    return {
      status: 'ok',
      latencyMs,
      detail: `pong in ${round(ping.rttMs)} ms (connect ${round(ping.connectMs)} ms)`,
      data: { rttMs: round(ping.rttMs), connectMs: round(ping.connectMs) },
    };
  });
}

export function deepHealthCheck(region: RegionEndpoints, timeoutMs: number): Check<'health'> {
  return timed('health', timeoutMs, async (signal) => {
    const response = await fetch(region.healthUrl, { signal });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.status !== 200) {
      const reason = summarize(body) ?? text.slice(0, 120);
      return {
        status: 'fail',
        detail: `HTTP ${response.status}${reason ? `: ${reason}` : ''}`,
        data: { httpStatus: response.status, body },
      };
    }
    return { status: 'ok', detail: `HTTP 200${describeHealthBody(body)}`, data: { httpStatus: 200, body } };
  });
}

/** ": replica read 3 ms, write 5 ms, load level 0" from the runtime's /health body, as far as it says. */
function describeHealthBody(body: unknown): string {
  if (!body || typeof body !== 'object') return '';
  const b = body as { checks?: Record<string, { ms?: number }>; loadLevel?: number | null };
  const parts = Object.entries(b.checks ?? {})
    .filter(([, c]) => c && typeof c === 'object' && typeof c.ms === 'number')
    .map(([name, c]) => `${name} ${c.ms} ms`);
  if (typeof b.loadLevel === 'number') parts.push(`load level ${b.loadLevel}`);
  return parts.length ? `: ${parts.join(', ')}` : '';
}

/** The reason a /health body gives for failing (its failing checks, or its message). */
function summarize(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, unknown>;
  if (b.checks && typeof b.checks === 'object') {
    const failing = Object.entries(b.checks as Record<string, unknown>)
      .filter(([, v]) => {
        if (v === false) return true;
        if (v && typeof v === 'object') {
          const c = v as Record<string, unknown>;
          return c.ok === false || (typeof c.status === 'string' && !/^(ok|pass|healthy)$/i.test(c.status));
        }
        return false;
      })
      .map(([k]) => k);
    if (failing.length) return `failing: ${failing.join(', ')}`;
  }
  for (const key of ['error', 'message', 'reason']) if (typeof b[key] === 'string') return b[key] as string;
  return undefined;
}

export function route53Check(
  clients: AwsClients,
  region: RegionEndpoints,
  view: () => Promise<Route53View>,
  timeoutMs: number,
): Check<'route53'> {
  return timed('route53', timeoutMs, async (signal) => {
    const target = clients.target;
    const key = region.spec.key;
    const { checks, all, records } = await view();
    const reference = names.healthCheckReference(target.topology, key);
    const record = recordOf(target, records, key);
    const hc = checks.get(key);
    if (!hc?.Id) {
      return {
        status: 'fail',
        detail: `no health check (caller reference ${reference}, or on its latency record)`,
        action: `recreate it: chatctl deploy --region ${key}`,
        data: { recordPresent: Boolean(record) },
      };
    }
    const inverted = hc.HealthCheckConfig?.Inverted === true;
    const disabled = hc.HealthCheckConfig?.Disabled === true;
    const verdict = await checkerVerdict(await clients.route53(), hc, all, signal);
    const state = healthCheckState({ inverted, disabled, verdict });
    const data = {
      healthCheckId: hc.Id,
      inverted,
      disabled,
      drained: state.drained,
      healthy: state.healthy,
      recordPresent: Boolean(record),
    };
    if (!record) {
      return {
        status: 'fail',
        detail: `no latency record for ${names.chatRecord(target.topology)} (set ${key})`,
        action: `users are not routed to ${key}: chatctl deploy --region ${key}`,
        data,
      };
    }
    if (state.drained) {
      return {
        status: 'warn',
        detail: `drained: ${state.reason}`,
        action: `it gets no traffic; if no drill is running: chatctl restore ${key}`,
        data,
      };
    }
    if (record.HealthCheckId && record.HealthCheckId !== hc.Id) {
      return {
        status: 'warn',
        detail: `the latency record carries health check ${record.HealthCheckId}, not ${hc.Id}`,
        action: 'the record is not tied to the region health check: chatctl deploy',
        data,
      };
    }
    if (!state.healthy) {
      const judged = hc.HealthCheckConfig?.Type === 'CALCULATED';
      const back = judged ? returnToDns(target) : undefined;
      return {
        status: 'fail',
        detail: `unhealthy: ${state.reason}`,
        action: back
          ? `Route 53 routes users away from ${key} until enough of its judges see its chat work (connect, join, send); once it works again (the websocket check), it returns to DNS as their canary alarms turn OK: after their next good ${target.timing.judgementPeriodSeconds} s period, by about ${back.by} (in about ${back.inSeconds} s)`
          : `Route 53 routes users away from ${key}; fix its /health`,
        data: { ...data, ...(back ? { returnsToDnsBy: back.iso } : {}) },
      };
    }
    return { status: 'ok', detail: `healthy (${state.reason}), record present`, data };
  });
}

/**
 * When a region whose chat works again is back in DNS: its judges' alarms turn OK after one whole good period
 * (the current one may hold a failure from before), and Route 53 reads the alarm within alarmReadSeconds.
 */
export function returnToDns(
  target: Target,
  now = Date.now(),
): { readonly by: string; readonly iso: string; readonly inSeconds: number } {
  const periodMs = target.timing.judgementPeriodSeconds * 1000;
  const at = Math.ceil(now / periodMs) * periodMs + periodMs + target.timing.alarmReadSeconds * 1000;
  const iso = new Date(at).toISOString();
  return { by: `${iso.slice(11, 19)} UTC`, iso, inSeconds: Math.ceil((at - now) / 1000) };
}

export function relayCheck(clients: AwsClients, region: RegionEndpoints, timeoutMs: number): Check<'relay'> {
  return timed('relay', timeoutMs, async (signal) => {
    const client = await clients.lambda(region.spec.awsRegion);
    const out = await invokeRelayDryRun(clients.target, client, region.spec.key, signal);
    const { functionName, payload } = out;
    if (out.functionError) {
      let message = payload.slice(0, 160);
      try {
        const parsed = JSON.parse(payload) as { errorMessage?: string; errorType?: string };
        if (parsed.errorMessage) message = `${parsed.errorType ?? 'Error'}: ${parsed.errorMessage}`;
      } catch {}
      return {
        status: 'fail',
        detail: `${functionName} failed: ${message}`,
        data: { functionError: out.functionError },
      };
    }
    try {
      const answer = JSON.parse(payload) as { ok?: boolean; error?: string };
      if (answer && answer.ok === false) {
        return {
          status: 'fail',
          detail: `${functionName} answered not ok: ${answer.error ?? payload.slice(0, 120)}`,
        };
      }
    } catch {}
    if (out.statusCode !== undefined && out.statusCode !== 200) {
      return { status: 'fail', detail: `${functionName} answered ${out.statusCode}` };
    }
    return { status: 'ok', detail: `${functionName} answers (dry run)` };
  });
}

export function loadCheck(clients: AwsClients, region: RegionEndpoints, timeoutMs: number): Check<'load'> {
  return timed('load', timeoutMs, async () => {
    const client = await clients.dynamodb(region.spec.awsRegion);
    const record = await readLoadLevel(clients.target, client, region.spec.key);
    const { level, setBy, reason } = record;
    const auto = record.auto.enabled;
    // Who set it: the operator's level holds against auto; auto's comes with the controller's reason.
    const by = setBy ? `, set by ${setBy}${reason ? ` (${reason})` : ''}` : '';
    const data = { level, setBy, auto };
    if (level > 0) {
      return {
        status: 'warn',
        detail: `level ${level}: ${LOAD_LEVELS[level]}${by}`,
        action:
          level === 3 && setBy !== 'auto'
            ? SHEDDING_ADVICE(region.spec.key)
            : setBy === 'auto'
              ? `auto sheds work and lowers the level when the lanes are calm: chatctl traffic status --region ${region.spec.key}`
              : `the region sheds work; when the surge is over: chatctl traffic level 0 --region ${region.spec.key}${auto ? '' : ' (or chatctl traffic auto on)'}`,
        data,
      };
    }
    return { status: 'ok', detail: `level 0${by}${auto ? ', auto on' : ''}`, data };
  });
}
