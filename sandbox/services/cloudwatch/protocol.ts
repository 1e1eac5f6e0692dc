/**
 * CloudWatch's three wire protocols, as AWS answers each on one endpoint: the AWS SDK for JavaScript v3
 * sends JSON 1.0 with X-Amz-Target (awsQueryCompatible: errors carry x-amzn-query-error), botocore sends
 * Smithy RPC v2 CBOR (POST /service/GraniteServiceVersion20100801/operation/<Op>), and older clients send
 * the query protocol (form-encoded, XML answers with <member> lists). A request becomes one operation name
 * and one input object in the JSON shape; a result is written back in the request's own protocol.
 */
import { randomUUID } from 'node:crypto';
import { cbor, dateToTag } from '@smithy/core/cbor';
import type { EdgeRequest, EdgeResponse } from '../../contracts.js';
import { xmlErrorResponse } from '../../wire/aws-wire.js';
import { isPrototypeKey, nullObject, PrototypeKeyError, refusePrototypeKeys } from '../../wire/keys.js';
import { renderDocument, type XmlNode } from '../../wire/xml.js';

export type CloudWatchProtocol = 'json' | 'cbor' | 'query';

export const CLOUDWATCH_XMLNS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';
const TARGET_PREFIX = 'GraniteServiceVersion20100801';
const CBOR_PATH = new RegExp(`^/service/${TARGET_PREFIX}/operation/([A-Za-z]+)$`);

export type Input = Record<string, unknown>;

export interface DecodedRequest {
  readonly protocol: CloudWatchProtocol;
  readonly operation: string;
  readonly input: Input;
}

/** An error CloudWatch answers with: its code (InvalidParameterValue, ResourceNotFound...) and status. */
export class CloudWatchError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export function invalid(message: string): never {
  throw new CloudWatchError(400, 'InvalidParameterValue', message);
}

/** The protocol of a request, from its target header, its path, or its form body. */
export function protocolOf(request: EdgeRequest): CloudWatchProtocol {
  if (request.headers['x-amz-target']) return 'json';
  if (CBOR_PATH.test(request.path) || String(request.headers['smithy-protocol'] ?? '') === 'rpc-v2-cbor') {
    return 'cbor';
  }
  return 'query';
}

export function decodeRequest(request: EdgeRequest): DecodedRequest {
  try {
    return decodeFields(request);
  } catch (error) {
    if (error instanceof PrototypeKeyError) invalid(error.message);
    throw error;
  }
}

function decodeFields(request: EdgeRequest): DecodedRequest {
  const protocol = protocolOf(request);
  if (protocol === 'json') {
    const target = String(request.headers['x-amz-target']);
    const [prefix, operation] = target.split('.');
    if (prefix !== TARGET_PREFIX || !operation) {
      throw new CloudWatchError(400, 'UnknownOperationException', `unknown X-Amz-Target ${target}`);
    }
    return { protocol, operation, input: parseJson(request.body) };
  }
  if (protocol === 'cbor') {
    const operation = CBOR_PATH.exec(request.path)?.[1];
    if (!operation) {
      throw new CloudWatchError(404, 'UnknownOperationException', `unknown operation path ${request.path}`);
    }
    const raw: unknown = request.body.length > 0 ? cbor.deserialize(new Uint8Array(request.body)) : {};
    // The CBOR decoder writes map keys into plain objects: a `__proto__` key has already replaced one's
    // prototype (no global harm, but the field is gone), so the decoded tree is checked before it is read.
    refusePrototypeKeys(raw);
    const decoded = fromCbor(raw);
    return { protocol, operation, input: (decoded ?? {}) as Input };
  }
  const form = new URLSearchParams(request.body.toString('utf8'));
  for (const [key, value] of request.query) if (!form.has(key)) form.set(key, value);
  const operation = form.get('Action');
  if (!operation) throw new CloudWatchError(400, 'MissingAction', 'the request has no Action');
  form.delete('Action');
  form.delete('Version');
  return { protocol, operation, input: parseQueryParams(form) };
}

function parseJson(body: Buffer): Input {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    refusePrototypeKeys(parsed);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Input;
  } catch (error) {
    if (error instanceof PrototypeKeyError) throw error;
    // answered below
  }
  throw new CloudWatchError(400, 'SerializationException', 'the request body is not a JSON object');
}

/** CBOR tag 1 (epoch seconds) becomes a Date; everything else as decoded. */
function fromCbor(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromCbor);
  if (value && typeof value === 'object') {
    const tagged = value as { tag?: unknown; value?: unknown };
    if (tagged.tag === 1 && typeof tagged.value === 'number') return new Date(tagged.value * 1000);
    if (value instanceof Uint8Array) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromCbor(v)]));
  }
  return value;
}

/**
 * Query parameters as the JSON shape: `A.member.2.B=x` is `{ A: [_, { B: 'x' }] }`. Scalars stay strings;
 * the operations read numbers, booleans and timestamps through the helpers below, which accept both. The
 * tree is built of null-prototype objects, and a path through `__proto__`, `constructor` or `prototype`
 * (no CloudWatch parameter) is refused, so no parameter name can reach a prototype.
 */
export function parseQueryParams(params: URLSearchParams): Input {
  const root = nullObject<unknown>();
  for (const [key, value] of params) {
    const parts = key.split('.');
    const bad = parts.find(isPrototypeKey);
    if (bad !== undefined) throw new PrototypeKeyError(bad);
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i];
      const next = node[part];
      if (next === null || typeof next !== 'object') node[part] = nullObject<unknown>();
      node = node[part] as Record<string, unknown>;
    }
    node[parts[parts.length - 1]] = value;
  }
  return listify(root) as Input;
}

function listify(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 1 && keys[0] === 'member' && object.member && typeof object.member === 'object') {
    const members = object.member as Record<string, unknown>;
    return Object.keys(members)
      .filter((k) => /^\d+$/.test(k))
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => listify(members[k]));
  }
  return Object.fromEntries(keys.map((k) => [k, listify(object[k])]));
}

// ---- reading fields in any protocol ----

export function str(input: Input, field: string, required = false): string | undefined {
  const value = input[field];
  if (value === undefined || value === null || value === '') {
    if (required) throw new CloudWatchError(400, 'MissingParameter', `The parameter ${field} is required.`);
    return undefined;
  }
  return String(value);
}

export function num(input: Input, field: string, required = false): number | undefined {
  const value = input[field];
  if (value === undefined || value === null || value === '') {
    if (required) throw new CloudWatchError(400, 'MissingParameter', `The parameter ${field} is required.`);
    return undefined;
  }
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) invalid(`The parameter ${field} must be a number (got ${String(value)}).`);
  return n;
}

export function bool(input: Input, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  return value === true || value === 'true';
}

/** A timestamp in ms: a Date (CBOR), epoch seconds (JSON) or ISO 8601 / epoch seconds text (query). */
export function time(input: Input, field: string, required = false): number | undefined {
  const value = input[field];
  if (value === undefined || value === null || value === '') {
    if (required) throw new CloudWatchError(400, 'MissingParameter', `The parameter ${field} is required.`);
    return undefined;
  }
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value * 1000;
  const text = String(value);
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  if (!Number.isFinite(ms)) invalid(`The parameter ${field} is not a timestamp (got ${text}).`);
  return ms;
}

export function list(input: Input, field: string): Input[] {
  const value = input[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) invalid(`The parameter ${field} must be a list.`);
  return value as Input[];
}

export function strings(input: Input, field: string): string[] {
  const value = input[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) invalid(`The parameter ${field} must be a list.`);
  return value.map(String);
}

// ---- answers ----

/** The operation's result in the request's protocol; `undefined` is an operation with no output. */
export function encodeResult(
  protocol: CloudWatchProtocol,
  operation: string,
  result: Input | undefined,
): EdgeResponse {
  const requestId = randomUUID();
  if (protocol === 'json') {
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId },
      body: JSON.stringify(result ?? {}, epochSeconds),
    };
  }
  if (protocol === 'cbor') {
    return {
      status: 200,
      headers: {
        'content-type': 'application/cbor',
        'smithy-protocol': 'rpc-v2-cbor',
        'x-amzn-requestid': requestId,
      },
      body: Buffer.from(cbor.serialize(toCbor(result ?? {}))),
    };
  }
  const nodes: XmlNode[] = [];
  if (result) nodes.push([`${operation}Result`, toXmlNodes(result)]);
  nodes.push(['ResponseMetadata', [['RequestId', requestId]]]);
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: renderDocument(`${operation}Response`, CLOUDWATCH_XMLNS, nodes),
  };
}

/** The JSON and CBOR protocols name the error by its shape; query clients see the shape's query code. */
const SHAPE_OF_CODE: Readonly<Record<string, string>> = {
  InvalidParameterValue: 'InvalidParameterValueException',
  InvalidParameterCombination: 'InvalidParameterCombinationException',
  MissingParameter: 'MissingRequiredParameterException',
  InternalServiceError: 'InternalServiceFault',
  LimitExceeded: 'LimitExceededFault',
  InvalidFormat: 'InvalidFormatFault',
  ValidationError: 'ValidationException',
};

export function encodeError(protocol: CloudWatchProtocol, error: CloudWatchError): EdgeResponse {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  if (protocol === 'query') {
    return xmlErrorResponse(error.status, error.code, error.message, { type, xmlns: CLOUDWATCH_XMLNS });
  }
  const headers = {
    'x-amzn-requestid': randomUUID(),
    'x-amzn-errortype': error.code,
    // awsQueryCompatible: the code a query client would have seen, which the SDKs surface as the error name.
    'x-amzn-query-error': `${error.code};${type}`,
  };
  const shape = SHAPE_OF_CODE[error.code] ?? error.code;
  const body = { __type: `com.amazonaws.cloudwatch#${shape}`, message: error.message };
  if (protocol === 'json') {
    return {
      status: error.status,
      headers: { ...headers, 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify(body),
    };
  }
  return {
    status: error.status,
    headers: { ...headers, 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor' },
    body: Buffer.from(cbor.serialize(body)),
  };
}

/** Timestamps are Dates in results; JSON 1.0 writes them as epoch seconds (the replacer sees the raw Date). */
function epochSeconds(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? raw.getTime() / 1000 : value;
}

function toCbor(value: unknown): unknown {
  if (value instanceof Date) return dateToTag(value);
  if (Array.isArray(value)) return value.map(toCbor);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toCbor(v)]),
    );
  }
  return value;
}

function toXmlNodes(object: Input): XmlNode[] {
  return Object.entries(object)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([key, value]) => [key, toXmlValue(value)] as XmlNode);
}

function toXmlValue(value: unknown): XmlNode[1] {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((member) => ['member', toXmlValue(member)] as XmlNode);
  if (value && typeof value === 'object') return toXmlNodes(value as Input);
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  return String(value);
}
