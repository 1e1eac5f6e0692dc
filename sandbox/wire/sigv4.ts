/**
 * SigV4 as AWS checks it on the way in. Every request to the edge and to a gateway's @connections must carry
 * a well-formed signature (Authorization header or presigned query), answered with AWS's error codes when
 * it does not; any access key is accepted, as local AWS tools expect. In strict mode (`sandbox up
 * --verify-signatures`, which the tests use) the signature is also recomputed with the secret of the key
 * that signed it, by the same signer the AWS SDK uses (@smithy/signature-v4), so a request the runtime or
 * the CLI signs wrongly fails here as it would on AWS.
 */
import { createHash, createHmac, type Hash, type Hmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { type CredentialScope, parseCredentialScope } from './aws-wire.js';
import { nullObject } from './keys.js';

/** Access keys whose secrets everyone knows: chatctl's own, LocalStack's and AWS's documentation example. */
export const WELL_KNOWN_KEYS: Readonly<Record<string, string>> = {
  sandbox: 'sandbox',
  test: 'test',
  AKIAIOSFODNN7EXAMPLE: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

export interface SignaturePolicy {
  /** Recompute every signature (strict mode); otherwise only its form is checked. */
  readonly verify: boolean;
  /** The secret of an access key (undefined: not a key this sandbox knows). */
  secretFor(accessKeyId: string): string | undefined;
  /** The clock the signing date is checked against (default Date.now). */
  now?(): number;
}

export function signaturePolicy(
  verify: boolean,
  extra: Readonly<Record<string, string>> = {},
): SignaturePolicy {
  const keys = { ...WELL_KNOWN_KEYS, ...extra };
  return { verify, secretFor: (key) => (Object.hasOwn(keys, key) ? keys[key] : undefined) };
}

/**
 * Why a request is refused: AWS's error code, its HTTP status (AWS's common errors: IncompleteSignature 400,
 * MissingAuthenticationToken, InvalidClientTokenId and SignatureDoesNotMatch 403) and message. API
 * Gateway's execute-api answers every one of them with 403.
 */
export interface SignatureFault {
  readonly status: number;
  /** The code in JSON protocols (DynamoDB, Lambda, execute-api). */
  readonly code: string;
  /** The code in query and REST-XML protocols (STS, Route 53, CloudFront). */
  readonly xmlCode: string;
  readonly message: string;
}

export type SignatureCheck =
  | { readonly ok: true; readonly scope: CredentialScope }
  | { readonly ok: false; readonly fault: SignatureFault };

export interface SignedRequest {
  readonly method: string;
  /** Path and query as sent (the path still percent-encoded, as it was signed). */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const HEX64 = /^[0-9a-f]{64}$/;
const AMZ_DATE = /^\d{8}T\d{6}Z$/;
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';

const incomplete = (message: string): SignatureCheck => ({
  ok: false,
  fault: { status: 400, code: 'IncompleteSignatureException', xmlCode: 'IncompleteSignature', message },
});
const mismatch = (message = MISMATCH): SignatureCheck => ({
  ok: false,
  fault: { status: 403, code: 'InvalidSignatureException', xmlCode: 'SignatureDoesNotMatch', message },
});

/** How far a signing date may be from the server's clock, as AWS allows (15 minutes either way). */
export const MAX_CLOCK_SKEW_MS = 15 * 60_000;
/** The longest X-Amz-Expires AWS accepts: a week. */
export const MAX_PRESIGN_EXPIRES_S = 604_800;

const parseAmzDate = (d: string) =>
  Date.UTC(
    +d.slice(0, 4),
    +d.slice(4, 6) - 1,
    +d.slice(6, 8),
    +d.slice(9, 11),
    +d.slice(11, 13),
    +d.slice(13, 15),
  );
const amzDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

/**
 * The signing date against the clock, as AWS checks it: a signed request within 15 minutes of now, either way
 * (SignatureDoesNotMatch "Signature expired" / "Signature not yet current", with AWS's wording); a presigned
 * URL until its X-Amz-Expires (RequestExpired) and never dated more than 15 minutes ahead.
 */
export function checkSigningTime(
  form: { amzDate: string; expiresIn?: number },
  now: number,
): SignatureCheck | undefined {
  const signed = parseAmzDate(form.amzDate);
  if (signed - now > MAX_CLOCK_SKEW_MS) {
    return mismatch(
      `Signature not yet current: ${form.amzDate} is still later than ${amzDate(now + MAX_CLOCK_SKEW_MS)} (${amzDate(now)} + 15 min.)`,
    );
  }
  if (form.expiresIn !== undefined) {
    if (now > signed + form.expiresIn * 1000) {
      return {
        ok: false,
        fault: {
          status: 403,
          code: 'RequestExpired',
          xmlCode: 'RequestExpired',
          message: `Request has expired: X-Amz-Date ${form.amzDate} + X-Amz-Expires ${form.expiresIn} s is earlier than ${amzDate(now)}`,
        },
      };
    }
    return undefined;
  }
  if (now - signed > MAX_CLOCK_SKEW_MS) {
    return mismatch(
      `Signature expired: ${form.amzDate} is now earlier than ${amzDate(now - MAX_CLOCK_SKEW_MS)} (${amzDate(now)} - 15 min.)`,
    );
  }
  return undefined;
}

/** Checks a request's signature under the policy; the credential scope on success. */
export async function checkSignature(
  request: SignedRequest,
  policy: SignaturePolicy,
): Promise<SignatureCheck> {
  const url = new URL(request.url || '/', 'http://sandbox');
  const scope = parseCredentialScope(request.headers, url.searchParams);
  if (!scope.ok) {
    if (scope.missing) {
      return {
        ok: false,
        fault: {
          status: 403,
          code: 'MissingAuthenticationTokenException',
          xmlCode: 'MissingAuthenticationToken',
          message: 'Missing Authentication Token',
        },
      };
    }
    return incomplete(scope.reason);
  }
  const form = scope.source === 'header' ? headerForm(request.headers) : queryForm(url.searchParams);
  if (!form.ok) return form.check;
  if (form.amzDate.slice(0, 8) !== scope.scope.date) {
    return mismatch(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.scope.date}' != '${form.amzDate.slice(0, 8)}'`,
    );
  }
  for (const name of form.signedHeaders) {
    if (request.headers[name] === undefined) {
      return incomplete(`The header '${name}' is listed in SignedHeaders but is not in the request`);
    }
  }
  if (!policy.verify) return { ok: true, scope: scope.scope };
  const late = checkSigningTime(form, policy.now?.() ?? Date.now());
  if (late) return late;

  const secret = policy.secretFor(scope.scope.accessKeyId);
  if (secret === undefined) {
    return {
      ok: false,
      fault: {
        status: 403,
        code: 'UnrecognizedClientException',
        xmlCode: 'InvalidClientTokenId',
        message: 'The security token included in the request is invalid.',
      },
    };
  }
  const expected = await expectedSignature(request, url, scope.scope, form, secret);
  if (expected === undefined)
    return mismatch('The request body does not match its x-amz-content-sha256 header');
  const given = Buffer.from(form.signature, 'hex');
  const want = Buffer.from(expected, 'hex');
  if (given.length !== want.length || !timingSafeEqual(given, want)) return mismatch();
  return { ok: true, scope: scope.scope };
}

interface SignatureForm {
  readonly ok: true;
  readonly signature: string;
  readonly signedHeaders: readonly string[];
  readonly amzDate: string;
  readonly expiresIn?: number;
}

function headerForm(headers: IncomingHttpHeaders): SignatureForm | { ok: false; check: SignatureCheck } {
  const fields = new Map<string, string>();
  for (const part of String(headers.authorization).slice('AWS4-HMAC-SHA256 '.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const signature = fields.get('Signature') ?? '';
  const signedHeaders = (fields.get('SignedHeaders') ?? '').split(';');
  const amzDate = String(headers['x-amz-date'] ?? '');
  if (!amzDate) {
    return {
      ok: false,
      check: incomplete(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
      ),
    };
  }
  return checkForm(signature, signedHeaders, amzDate);
}

function queryForm(query: URLSearchParams): SignatureForm | { ok: false; check: SignatureCheck } {
  for (const name of ['X-Amz-Algorithm', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
    if (!query.get(name))
      return { ok: false, check: incomplete(`AWS query-string parameters must include '${name}'.`) };
  }
  if (query.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
    return { ok: false, check: incomplete("X-Amz-Algorithm only supports 'AWS4-HMAC-SHA256'") };
  }
  const form = checkForm(
    query.get('X-Amz-Signature') ?? '',
    (query.get('X-Amz-SignedHeaders') ?? '').split(';'),
    query.get('X-Amz-Date') ?? '',
  );
  if (!form.ok) return form;
  const expires = query.get('X-Amz-Expires') ?? '900';
  if (!/^\d{1,7}$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_PRESIGN_EXPIRES_S) {
    return {
      ok: false,
      check: incomplete(
        `X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGN_EXPIRES_S} (a week); got '${expires}'`,
      ),
    };
  }
  return { ...form, expiresIn: Number(expires) };
}

function checkForm(
  signature: string,
  signedHeaders: readonly string[],
  amzDate: string,
): SignatureForm | { ok: false; check: SignatureCheck } {
  if (!AMZ_DATE.test(amzDate)) {
    return {
      ok: false,
      check: incomplete(`X-Amz-Date '${amzDate}' is not an ISO-8601 basic date (YYYYMMDDTHHMMSSZ)`),
    };
  }
  if (!signedHeaders.includes('host')) {
    return { ok: false, check: incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.") };
  }
  // A signature is a hex HMAC-SHA256: anything else cannot match whatever the secret.
  if (!HEX64.test(signature)) return { ok: false, check: mismatch() };
  return { ok: true, signature, signedHeaders, amzDate };
}

/** The signature the SDK's own signer gives this request (undefined: the body is not the one it claims). */
async function expectedSignature(
  request: SignedRequest,
  url: URL,
  scope: CredentialScope,
  form: SignatureForm,
  secret: string,
): Promise<string | undefined> {
  const claimed = request.headers['x-amz-content-sha256'];
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  if (typeof claimed === 'string' && claimed !== 'UNSIGNED-PAYLOAD' && claimed !== bodyHash) return undefined;
  // Null-prototype maps: a signed header or query parameter named __proto__ or constructor is plain data.
  const headers = nullObject<string>();
  for (const name of form.signedHeaders) {
    const value = request.headers[name];
    headers[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  const query = nullObject<string | string[]>();
  for (const [key, value] of url.searchParams) {
    if (form.expiresIn !== undefined && key.startsWith('X-Amz-') && key !== 'X-Amz-Security-Token') continue;
    const prior = query[key];
    query[key] = prior === undefined ? value : [...(Array.isArray(prior) ? prior : [prior]), value];
  }
  const signer = new SignatureV4({
    service: scope.service,
    region: scope.region,
    credentials: { accessKeyId: scope.accessKeyId, secretAccessKey: secret },
    sha256: Sha256,
    // S3 signs its path as it is; every other service escapes it once more.
    uriEscapePath: scope.service !== 's3',
    // The canonical headers are exactly the signed ones. By default the signer adds x-amz-content-sha256 to
    // the request it signs, and so to the canonical headers: right for the JS SDK (it sends and signs that
    // header), wrong for every client that does not (botocore, so boto3 and the AWS CLI: SigV4 requires that
    // header only of S3). The payload hash in the canonical request is the body's either way.
    applyChecksum: false,
  });
  const signingDate = new Date(
    `${form.amzDate.slice(0, 4)}-${form.amzDate.slice(4, 6)}-${form.amzDate.slice(6, 11)}:${form.amzDate.slice(11, 13)}:${form.amzDate.slice(13)}`,
  );
  const http = {
    method: request.method,
    protocol: 'http:',
    hostname: String(request.headers.host ?? '').replace(/:\d+$/, ''),
    path: url.pathname === '/' ? '/' : rawPath(request.url),
    query,
    headers,
    body: request.body,
  };
  const signableHeaders = new Set(form.signedHeaders);
  if (form.expiresIn !== undefined) {
    const signed = await signer.presign(http, { signingDate, expiresIn: form.expiresIn, signableHeaders });
    return String(signed.query?.['X-Amz-Signature']);
  }
  const signed = await signer.sign(http, { signingDate, signableHeaders });
  return /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1];
}

/** The path exactly as the client sent it (the signer escapes it again, as the client's did). */
function rawPath(url: string): string {
  const end = url.indexOf('?');
  return end < 0 ? url : url.slice(0, end);
}

/** The SHA-256 and HMAC the signer takes, over node:crypto (the SDK's Node runtime uses the same). */
export class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {}
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}
