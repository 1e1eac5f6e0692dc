/**
 * The drill's moving client: one user of the drained region whose client reconnects by the global name, as a
 * user's client does after a drop. Each attempt takes the address from its resolver's cache, which keeps an
 * answer for the record's TTL (then asks again: the sandbox's DNS server, or TestDNSAnswer on AWS, from the
 * region's probe subnet), connects to chat.<domain> there and pings; the pong names the region that served.
 * The time it first lands in another region is observed, not computed: it shows the TTL honoured, the
 * resolver's timing and the connect, where "time to shift + TTL" is only the bound a client stays under.
 */
import { UserError } from '../../../core/errors.js';
import { route53Client, withClient } from '../aws/clients.js';
import { chatRecordTtl } from '../aws/route53.js';
import { type ResolvedDnsAnswer, resolveByDns } from '../chat/endpoint.js';
import { pingOnce, regionOfAnswer } from '../chat/probe.js';
import type { Target } from '../target.js';
import { sleep } from '../time.js';

/** How often the client reconnects while it waits to move (a reconnect after a drop, every so often). */
const RECONNECT_EVERY_MS = 250;

export interface ClientMove {
  /** From `since` to the first connection served by another region. */
  readonly elapsedMs: number;
  readonly region: string;
  /** When the answer the client held at the drain expired (from `since`): it could not move before. */
  readonly firstAnswerExpiredMs: number;
  readonly ttlSeconds: number;
  /** DNS resolutions and connections made. */
  readonly resolutions: number;
  readonly connections: number;
}

export interface ClientProbe {
  /** Resolves when the client is connected to `from` with an answer in its cache (start the drain then). */
  readonly ready: Promise<void>;
  /**
   * Call at the moment of the drain: the client reconnects from then on, and this resolves when it has
   * landed elsewhere; it rejects when stopped, or once `shiftTimeoutMs` plus the TTL it holds have passed.
   */
  follow(since: number, shiftTimeoutMs: number): Promise<ClientMove>;
  stop(): void;
}

interface Cached {
  readonly answer: ResolvedDnsAnswer;
  readonly expiresAt: number;
  readonly ttlSeconds: number;
}

export function startClientProbe(target: Target, from: string, signal?: AbortSignal): ClientProbe {
  const controller = new AbortController();
  const stopOn = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
  const token = target.token('chatctl-drill-moving-client', 600);
  let cached: Cached | undefined;
  let recordTtl: number | undefined;
  let resolutions = 0;
  let connections = 0;

  async function resolve(): Promise<Cached> {
    const now = performance.now();
    if (cached && now < cached.expiresAt) return cached;
    const answer = await resolveByDns(target, from);
    resolutions++;
    // The sandbox's DNS server gives the TTL with the answer; TestDNSAnswer does not: the record's, then.
    recordTtl ??=
      answer.ttlSeconds ??
      (await withClient(route53Client(target), (client) => chatRecordTtl(target, client, from)));
    const ttlSeconds = answer.ttlSeconds ?? recordTtl;
    cached = { answer, expiresAt: now + ttlSeconds * 1000, ttlSeconds };
    return cached;
  }

  async function attempt(): Promise<string | undefined> {
    const { answer } = await resolve();
    connections++;
    const endpoint = target.globalEndpoint(answer.region, answer.records);
    const pong = await pingOnce(endpoint, token, {
      timeoutMs: target.timing.chatTimeoutMs,
      signal: stopOn,
    }).catch(() => undefined); // a failed reconnect is tried again, as a client would
    return pong ? regionOfAnswer(target, pong.region) : undefined;
  }

  const ready = (async () => {
    const region = await attempt();
    if (region !== from) {
      throw new UserError(
        `before the drain, a client of ${from}'s users reached ${region ?? 'no region'} by ${target.globalEndpoint(from).url}`,
        { hint: 'latency DNS should send a region’s users to it: see chatctl health' },
      );
    }
  })();
  ready.catch(() => {});

  return {
    ready,
    async follow(since, shiftTimeoutMs) {
      await ready;
      const held = cached as Cached;
      const timeoutMs = shiftTimeoutMs + held.ttlSeconds * 1000 + target.timing.chatTimeoutMs;
      for (;;) {
        const region = await attempt();
        const now = performance.now();
        if (region && region !== from) {
          return {
            elapsedMs: Math.round(now - since),
            region,
            firstAnswerExpiredMs: Math.round(held.expiresAt - since),
            ttlSeconds: held.ttlSeconds,
            resolutions,
            connections,
          };
        }
        if (now - since > timeoutMs) {
          throw new UserError(
            `a client of ${from}'s users honouring the ${held.ttlSeconds} s TTL still reached ${region ?? 'no region'} ${Math.round(timeoutMs / 1000)} s after the drain`,
            { hint: `check what DNS answers: chatctl chat --via dns --from ${from}` },
          );
        }
        await sleep(RECONNECT_EVERY_MS, stopOn);
      }
    },
    stop: () => controller.abort(new Error('the moving client was stopped')),
  };
}
