/**
 * AWS wire helpers for the edge and every service: SigV4 credential scope parsing and the error shapes of
 * each protocol (JSON 1.0/1.1 with X-Amz-Target, Smithy RPC v2 CBOR, REST-JSON, query and REST-XML), so that every AWS client
 * sees an error it can parse, never a crash or a hang. The one builder of each error shape lives here.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { cbor } from '@smithy/core/cbor';
import type { EdgeResponse } from '../contracts.js';
import { renderDocument } from './xml.js';

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

/**
 * AWS's XML ErrorResponse (query and REST-XML protocols): Type, Code, Message and the RequestId. REST-XML
 * services (Route 53, CloudFront) put their namespace on the root; query services answer without one.
 */
export function xmlErrorResponse(
  status: number,
  code: string,
  message: string,
  options: { type?: 'Sender' | 'Receiver'; xmlns?: string } = {},
): EdgeResponse {
  const requestId = randomUUID();
  const type = options.type ?? (status >= 500 ? 'Receiver' : 'Sender');
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, 'x-amzn-errortype': code },
    body: renderDocument('ErrorResponse', options.xmlns, [
      [
        'Error',
        [
          ['Type', type],
          ['Code', code],
          ['Message', message],
        ],
      ],
      ['RequestId', requestId],
    ]),
  };
}

/** An error in the shape the request's protocol parses (JSON ones carry `__type`, XML ones ErrorResponse). */
export function awsError(
  protocol: WireProtocol,
  status: number,
  code: string,
  message: string,
  options: { jsonNamespace?: string; sender?: boolean } = {},
): EdgeResponse {
  if (protocol === 'query' || protocol === 'rest-xml') {
    const type = options.sender === false || status >= 500 ? 'Receiver' : 'Sender';
    return xmlErrorResponse(status, code, message, { type });
  }
  const type = options.jsonNamespace ? `${options.jsonNamespace}#${code}` : code;
  if (protocol === 'rpc-v2-cbor') {
    return {
      status,
      headers: {
        'content-type': 'application/cbor',
        'smithy-protocol': 'rpc-v2-cbor',
        'x-amzn-requestid': randomUUID(),
        'x-amzn-errortype': code,
      },
      body: Buffer.from(cbor.serialize({ __type: type, message })),
    };
  }
  return {
    status,
    headers: {
      'content-type': protocol === 'json' ? 'application/x-amz-json-1.0' : 'application/json',
      'x-amzn-requestid': randomUUID(),
      'x-amzn-errortype': code,
    },
    body: JSON.stringify({ __type: type, message }),
  };
}
