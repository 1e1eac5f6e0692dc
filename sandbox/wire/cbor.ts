/**
 * Smithy RPC v2 CBOR (POST /service/<Service>/operation/<Op>, header smithy-protocol: rpc-v2-cbor): requests,
 * results and errors. Timestamps travel as CBOR tag 1 (epoch seconds) and are Dates inside the sandbox.
 */
import { randomUUID } from 'node:crypto';
import { cbor, dateToTag } from '@smithy/core/cbor';
import type { EdgeRequest, EdgeResponse } from '../contracts.js';
import type { RpcCall, WireDialect, WireInput } from './dialect.js';
import { errorHeaders, errorTypeName } from './json.js';
import { nullObject, PrototypeKeyError, refusePrototypeKeys } from './keys.js';
import { ServiceError } from './service-error.js';

const PATH = /^\/service\/([A-Za-z0-9_]+)\/operation\/([A-Za-z]+)$/;

/** True when the request is RPC v2 CBOR: its header, or its path. */
export function isCbor(request: EdgeRequest): boolean {
  return PATH.test(request.path) || String(request.headers['smithy-protocol'] ?? '') === 'rpc-v2-cbor';
}

export function decodeCbor(request: EdgeRequest, dialect: WireDialect): RpcCall {
  const match = PATH.exec(request.path);
  if (!match || (dialect.target !== undefined && match[1] !== dialect.target)) {
    throw new ServiceError(404, 'UnknownOperationException', `unknown operation path ${request.path}`);
  }
  let decoded: unknown;
  try {
    const raw: unknown = request.body.length > 0 ? cbor.deserialize(new Uint8Array(request.body)) : {};
    // The CBOR decoder writes map keys into plain objects: a `__proto__` key has already replaced one's
    // prototype (no global harm, but the field is gone), so the decoded tree is checked before it is read.
    refusePrototypeKeys(raw);
    decoded = fromCbor(raw);
  } catch (error) {
    const why = error instanceof PrototypeKeyError ? error.message : 'the request body is not CBOR';
    throw new ServiceError(400, 'SerializationException', why);
  }
  if (!decoded || typeof decoded !== 'object' || Array.isArray(decoded)) {
    throw new ServiceError(400, 'SerializationException', 'the request body is not a CBOR map');
  }
  return { operation: match[2], input: decoded as WireInput };
}

/** CBOR tag 1 (epoch seconds) becomes a Date; maps become objects without a prototype. */
function fromCbor(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromCbor);
  if (value && typeof value === 'object') {
    const tagged = value as { tag?: unknown; value?: unknown };
    if (tagged.tag === 1 && typeof tagged.value === 'number') return new Date(tagged.value * 1000);
    if (value instanceof Uint8Array) return value;
    const out = nullObject<unknown>();
    for (const [key, item] of Object.entries(value)) out[key] = fromCbor(item);
    return out;
  }
  return value;
}

function toCbor(value: unknown): unknown {
  if (value instanceof Date) return dateToTag(value);
  if (Array.isArray(value)) return value.map(toCbor);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, toCbor(v)]),
    );
  }
  return value;
}

const CBOR_HEADERS = { 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor' };

export function cborResult(output: unknown): EdgeResponse {
  return {
    status: 200,
    headers: { ...CBOR_HEADERS, 'x-amzn-requestid': randomUUID() },
    body: Buffer.from(cbor.serialize(toCbor(output ?? {}))),
  };
}

export function cborError(error: ServiceError, dialect: WireDialect): EdgeResponse {
  return {
    status: error.status,
    headers: { ...CBOR_HEADERS, ...errorHeaders(error, dialect) },
    body: Buffer.from(cbor.serialize({ __type: errorTypeName(error, dialect), message: error.message })),
  };
}
