/**
 * One probe of a Route 53 health checker, by the check's Type, with Route 53's documented rules
 * (Developer Guide, "How Route 53 determines whether a health check is healthy"):
 * - HTTP and HTTPS: a TCP connection within 4 s, then a status of 200-399 within 2 s of connecting.
 * - HTTP_STR_MATCH and HTTPS_STR_MATCH: as HTTP, then the body within 2 s more; SearchString must appear
 *   whole in its first 5,120 bytes (case-sensitive).
 * - TCP: a TCP connection within 10 s.
 * The sandbox's endpoints are its gateways on loopback, which speak plain HTTP, so the HTTPS types probe
 * them over HTTP.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { ROUTE53_HEALTH_CHECK_USER_AGENT } from '../../../core/observability.js';

export interface ProbeTarget {
  /** The check's Type: HTTP, HTTPS, HTTP_STR_MATCH, HTTPS_STR_MATCH or TCP. */
  readonly type: string;
  /** What an *_STR_MATCH check looks for in the response body. */
  readonly searchString?: string;
  /** http://127.0.0.1:PORT/health, or undefined when the endpoint cannot be resolved. */
  readonly url?: string;
  /** Where a TCP check connects (with url). */
  readonly host?: string;
  readonly port?: number;
  /** The address the checker connects to (reported as the observation's IPAddress). */
  readonly ipAddress: string;
  /** Why the endpoint has no URL (e.g. a name that does not resolve). */
  readonly unresolved?: string;
}

export interface ProbeResult {
  readonly ok: boolean;
  /** e.g. "HTTP Status Code 200, OK" or "Connection refused. ..." */
  readonly detail: string;
  readonly at: Date;
}

export interface ProbeTiming {
  /** To establish the TCP connection of an HTTP(S) check. */
  readonly connectMs: number;
  /** For the status after connecting, and for the body after the status (string matching). */
  readonly responseMs: number;
  /** To establish the connection of a TCP check. */
  readonly tcpConnectMs: number;
}

export const PROBE_TIMING: ProbeTiming = { connectMs: 4000, responseMs: 2000, tcpConnectMs: 10_000 };

/** How much of the body a string-matching check searches. */
export const SEARCH_BYTES = 5120;

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const DOWN =
  'The endpoint or the internet connection is down, or requests are being blocked by your firewall.';

function failure(error: NodeJS.ErrnoException): string {
  if (error.code === 'ECONNREFUSED') return `Connection refused. ${DOWN}`;
  if (error.code === 'ECONNRESET') return `Connection reset by peer. ${DOWN}`;
  return `${error.code ?? error.message}. ${DOWN}`;
}

const TIMED_OUT = `Connection timed out. ${DOWN}`;

/** Probes a resolved target (one with a url) as its Type says. */
export function probe(target: ProbeTarget, timing: ProbeTiming = PROBE_TIMING): Promise<ProbeResult> {
  if (target.type === 'TCP') return probeTcp(target, timing);
  const search = target.type.endsWith('_STR_MATCH') ? (target.searchString ?? '') : undefined;
  return probeHttp(target.url as string, search, timing);
}

/** A settle-once result with one timer that each phase re-arms. */
function outcome(resolve: (result: ProbeResult) => void, onTimeout: () => void) {
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  return {
    arm(ms: number) {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.done(false, TIMED_OUT);
        onTimeout();
      }, ms);
    },
    done(ok: boolean, detail: string) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ok, detail, at: new Date() });
    },
  };
}

function probeTcp(target: ProbeTarget, timing: ProbeTiming): Promise<ProbeResult> {
  const { hostname, port } = new URL(target.url as string);
  return new Promise((resolve) => {
    const socket = connect({ host: target.host ?? hostname, port: target.port ?? Number(port) });
    const result = outcome(resolve, () => socket.destroy());
    result.arm(timing.tcpConnectMs);
    socket.once('connect', () => {
      result.done(true, 'Successfully established a TCP connection');
      socket.destroy();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => result.done(false, failure(error)));
  });
}

/** One GET as Route 53 does it: a new connection, 2xx/3xx is success; with `search`, the body must hold it. */
function probeHttp(url: string, search: string | undefined, timing: ProbeTiming): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'GET', agent: false, headers: { 'user-agent': ROUTE53_HEALTH_CHECK_USER_AGENT } },
      (res) => {
        const code = res.statusCode ?? 0;
        const status = `HTTP Status Code ${code}, ${STATUS_TEXT[code] ?? res.statusMessage ?? ''}`;
        const passed = code >= 200 && code < 400;
        if (search === undefined || !passed) {
          res.resume();
          result.done(passed, status);
          return;
        }
        result.arm(timing.responseMs);
        let body = Buffer.alloc(0);
        const decide = () => {
          const found = body.subarray(0, SEARCH_BYTES).includes(Buffer.from(search, 'utf8'));
          result.done(
            found,
            found
              ? status
              : `${status}, but the search string was not in the first ${SEARCH_BYTES} bytes of the body`,
          );
          res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          body = Buffer.concat([body, chunk]);
          if (body.length >= SEARCH_BYTES) decide();
        });
        res.on('end', decide);
        res.on('error', () => result.done(false, TIMED_OUT));
      },
    );
    const result = outcome(resolve, () => req.destroy());
    result.arm(timing.connectMs);
    req.on('socket', (socket) => {
      const responding = () => result.arm(timing.responseMs);
      if (socket.connecting) socket.once('connect', responding);
      else responding();
    });
    req.on('error', (error: NodeJS.ErrnoException) => result.done(false, failure(error)));
    req.end();
  });
}
