/**
 * What the edge reads of any AWS request before it knows the service: the SigV4 credential scope and the
 * protocol the caller speaks (so even an error of the edge's own is one the client parses: ./errors.ts).
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface CredentialScope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

export type ScopeResult =
  | { readonly ok: true; readonly scope: CredentialScope; readonly source: 'header' | 'query' }
  | { readonly ok: false; readonly missing: boolean; readonly reason: string };

const CREDENTIAL = /^([^/\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request$/;

/** Reads the credential scope from the Authorization header (or a presigned URL's X-Amz-Credential). */
export function parseCredentialScope(headers: IncomingHttpHeaders, query: URLSearchParams): ScopeResult {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.length > 0) {
    if (!auth.startsWith('AWS4-HMAC-SHA256 ')) {
      return { ok: false, missing: false, reason: 'Authorization header requires AWS4-HMAC-SHA256 signing' };
    }
    const fields = new Map<string, string>();
    for (const part of auth.slice('AWS4-HMAC-SHA256 '.length).split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const credential = fields.get('Credential');
    const match = credential ? CREDENTIAL.exec(credential) : null;
    if (!match || !fields.get('SignedHeaders') || !fields.get('Signature')) {
      return {
        ok: false,
        missing: false,
        reason:
          "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters; Credential must be KEY/DATE/REGION/SERVICE/aws4_request",
      };
    }
    return {
      ok: true,
      source: 'header',
      scope: { accessKeyId: match[1], date: match[2], region: match[3], service: match[4] },
    };
  }
  const credential = query.get('X-Amz-Credential');
  if (credential) {
    const match = CREDENTIAL.exec(credential);
    if (!match) return { ok: false, missing: false, reason: 'X-Amz-Credential is malformed' };
    return {
      ok: true,
      source: 'query',
      scope: { accessKeyId: match[1], date: match[2], region: match[3], service: match[4] },
    };
  }
  return { ok: false, missing: true, reason: 'Missing Authentication Token' };
}

/** Replaces the access key of a SigV4 Authorization header (DynamoDB Local keys its databases by it). */
export function rewriteAccessKey(authorization: string, accessKeyId: string): string {
  return authorization.replace(/Credential=[^/\s,]+\//, `Credential=${accessKeyId}/`);
}

export type WireProtocol = 'json' | 'rpc-v2-cbor' | 'rest-json' | 'query' | 'rest-xml';

/** Guesses the protocol of a request so its error can be answered in the shape the client parses. */
export function detectProtocol(headers: IncomingHttpHeaders, body: Buffer, service?: string): WireProtocol {
  if (headers['x-amz-target']) return 'json';
  // Every Smithy RPC v2 request names its protocol in this header (the newer CloudWatch clients speak it).
  if (headers['smithy-protocol'] === 'rpc-v2-cbor') return 'rpc-v2-cbor';
  const type = String(headers['content-type'] ?? '');
  if (type.startsWith('application/x-www-form-urlencoded') || /^Action=/.test(body.toString('utf8', 0, 64))) {
    return 'query';
  }
  if (service === 'route53' || service === 'cloudfront' || service === 's3' || type.includes('xml')) {
    return 'rest-xml';
  }
  return 'rest-json';
}
