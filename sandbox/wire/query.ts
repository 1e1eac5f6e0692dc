/**
 * The AWS query protocol (form-encoded Action=...&Version=..., XML answers with <member> lists): requests
 * built into the JSON shape, results and errors (ErrorResponse). STS and CloudWatch's older clients speak it.
 */
import { randomUUID } from 'node:crypto';
import type { EdgeRequest, EdgeResponse } from '../contracts.js';
import type { RpcCall, WireDialect, WireInput } from './dialect.js';
import { isPrototypeKey, nullObject } from './keys.js';
import { ServiceError } from './service-error.js';
import { renderDocument, type XmlNode } from './xml.js';

/** True when the body (or the query string) carries the query protocol's Action. */
export function isQuery(request: EdgeRequest): boolean {
  const type = String(request.headers['content-type'] ?? '');
  return (
    type.startsWith('application/x-www-form-urlencoded') ||
    /^Action=/.test(request.body.toString('utf8', 0, 64))
  );
}

export function decodeQuery(request: EdgeRequest): RpcCall {
  const form = new URLSearchParams(request.body.toString('utf8'));
  for (const [key, value] of request.query) if (!form.has(key)) form.set(key, value);
  const operation = form.get('Action');
  if (!operation) throw new ServiceError(400, 'MissingAction', 'the request has no Action');
  form.delete('Action');
  form.delete('Version');
  return { operation, input: parseQueryParams(form) };
}

/**
 * Query parameters as the JSON shape: `A.member.2.B=x` is `{ A: [_, { B: 'x' }] }`. Scalars stay strings
 * (the operations read numbers, booleans and timestamps through helpers that accept both). The tree is
 * built of null-prototype objects, and a path through `__proto__`, `constructor` or `prototype` (no AWS
 * parameter) is refused, so no parameter name can reach a prototype.
 */
export function parseQueryParams(params: URLSearchParams): WireInput {
  const root = nullObject<unknown>();
  for (const [key, value] of params) {
    const parts = key.split('.');
    const bad = parts.find(isPrototypeKey);
    if (bad !== undefined) {
      throw new ServiceError(400, 'InvalidParameterValue', `the parameter name "${key}" is not allowed`);
    }
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i];
      const next = node[part];
      if (next === null || typeof next !== 'object') node[part] = nullObject<unknown>();
      node = node[part] as WireInput;
    }
    node[parts[parts.length - 1]] = value;
  }
  return listify(root) as WireInput;
}

function listify(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const object = value as WireInput;
  const keys = Object.keys(object);
  if (keys.length === 1 && keys[0] === 'member' && object.member && typeof object.member === 'object') {
    const members = object.member as WireInput;
    return Object.keys(members)
      .filter((k) => /^\d+$/.test(k))
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => listify(members[k]));
  }
  const out = nullObject<unknown>();
  for (const key of keys) out[key] = listify(object[key]);
  return out;
}

/** <OpResponse xmlns><OpResult>output</OpResult><ResponseMetadata/></OpResponse>; no output, no Result. */
export function queryResult(
  operation: string,
  output: WireInput | undefined,
  dialect: WireDialect,
): EdgeResponse {
  const requestId = randomUUID();
  const nodes: XmlNode[] = [];
  if (output) nodes.push([`${operation}Result`, toXmlNodes(output)]);
  nodes.push(['ResponseMetadata', [['RequestId', requestId]]]);
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: renderDocument(`${operation}Response`, dialect.xmlns, nodes),
  };
}

function toXmlNodes(object: WireInput): XmlNode[] {
  return Object.entries(object)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([key, value]) => [key, toXmlValue(value)] as XmlNode);
}

function toXmlValue(value: unknown): XmlNode[1] {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((member) => ['member', toXmlValue(member)] as XmlNode);
  if (value && typeof value === 'object') return toXmlNodes(value as WireInput);
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  return String(value);
}

/**
 * AWS's XML ErrorResponse (query and REST-XML): Type, Code, Message and the RequestId; the root carries
 * the service's namespace when it has one.
 */
export function xmlError(error: ServiceError, dialect: WireDialect): EdgeResponse {
  const requestId = randomUUID();
  return {
    status: error.status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, 'x-amzn-errortype': error.code },
    body: renderDocument('ErrorResponse', dialect.xmlns, [
      [
        'Error',
        [
          ['Type', error.type],
          ['Code', error.code],
          ['Message', error.message],
        ],
      ],
      ['RequestId', requestId],
    ]),
  };
}
