/**
 * Who may talk to the sandbox. Everything listens on loopback, but any web page the user opens can send
 * requests to loopback too: so a request carrying a browser `Origin` is refused unless that origin is
 * allowed (by default only the sandbox's own console origin, http://127.0.0.1:<edge port>), and no CORS
 * headers are ever sent. The control API also needs the per-sandbox secret of sandbox.json
 * (`controlSecret`, sent as `x-chatctl-secret`). SigV4 is checked in wire/sigv4.ts.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SignaturePolicy } from './wire/sigv4.js';

/** The request header that carries the control secret. */
export const CONTROL_SECRET_HEADER = 'x-chatctl-secret';

/** 64 hex characters from 32 random bytes. */
export function newControlSecret(): string {
  return randomBytes(32).toString('hex');
}

export interface AccessPolicy {
  /** Origins a browser request may come from (exact `scheme://host:port`). */
  readonly allowedOrigins: readonly string[];
  readonly controlSecret: string;
  readonly signatures: SignaturePolicy;
}

/** Why a request carrying this Origin is refused (undefined: no Origin, or an allowed one). */
export function refusedOrigin(headers: IncomingHttpHeaders, policy: AccessPolicy): string | undefined {
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  const value = Array.isArray(origin) ? origin.join(',') : origin;
  if (policy.allowedOrigins.includes(value)) return undefined;
  return `requests from a web page (Origin ${value}) are refused by the sandbox`;
}

export const ORIGIN_HINT =
  'the sandbox only answers local tools; to let a page of yours in, start it with: chatctl sandbox up --allow-origin <origin>';

/** True when the request carries the control secret. */
export function hasControlSecret(headers: IncomingHttpHeaders, secret: string): boolean {
  const given = headers[CONTROL_SECRET_HEADER];
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The policy of a sandbox whose edge listens on `edgePort` (its console origin is allowed once it does). */
export function accessPolicy(
  edgePort: number | undefined,
  allowed: readonly string[] | undefined,
  controlSecret: string,
  signatures: SignaturePolicy,
): AccessPolicy {
  const console = edgePort === undefined ? [] : [`http://127.0.0.1:${edgePort}`];
  return { allowedOrigins: [...console, ...(allowed ?? [])], controlSecret, signatures };
}
