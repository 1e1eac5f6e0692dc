/** AWS JSON 1.0 and 1.1 (X-Amz-Target): requests, results and errors. */
import { randomUUID } from 'node:crypto';
import type { EdgeRequest, EdgeResponse } from '../contracts.js';
import type { RpcCall, WireDialect, WireInput } from './dialect.js';
import { PrototypeKeyError, refusePrototypeKeys } from './keys.js';
import { ServiceError } from './service-error.js';

export function jsonContentType(dialect: WireDialect): string {
  return `application/x-amz-json-${dialect.jsonVersion ?? '1.0'}`;
}

/**
 * A JSON object body (empty is {}); anything else is the caller's SerializationException, and so is a
 * field named __proto__, constructor or prototype (./keys.ts).
 */
export function parseJsonObject(body: Buffer): WireInput {
  if (body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    refusePrototypeKeys(parsed);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as WireInput;
  } catch (error) {
    if (error instanceof PrototypeKeyError)
      throw new ServiceError(400, 'SerializationException', error.message);
    // answered below
  }
  throw new ServiceError(400, 'SerializationException', 'the request body is not a JSON object');
}

export function decodeJson(request: EdgeRequest, dialect: WireDialect): RpcCall {
  const target = String(request.headers['x-amz-target'] ?? '');
  const dot = target.lastIndexOf('.');
  const prefix = target.slice(0, Math.max(dot, 0));
  const operation = target.slice(dot + 1);
  if (dot < 0 || !operation || (dialect.target !== undefined && prefix !== dialect.target)) {
    throw new ServiceError(400, 'UnknownOperationException', `unknown X-Amz-Target ${target || '(none)'}`);
  }
  return { operation, input: parseJsonObject(request.body) };
}

/** Timestamps are Dates in results; JSON writes them as epoch seconds (the replacer sees the raw Date). */
function epochSeconds(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? raw.getTime() / 1000 : value;
}

export function jsonResult(output: unknown, dialect: WireDialect): EdgeResponse {
  return {
    status: 200,
    headers: { 'content-type': jsonContentType(dialect), 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify(output ?? {}, epochSeconds),
  };
}

/** The error's name as JSON and CBOR clients read it from __type (its shape, in the service's namespace). */
export function errorTypeName(error: ServiceError, dialect: WireDialect): string {
  const shape = dialect.queryShapes?.[error.code] ?? error.code;
  return dialect.errorNamespace ? `${dialect.errorNamespace}#${shape}` : shape;
}

/** The headers an error carries in JSON and CBOR (awsQueryCompatible ones add the query code). */
export function errorHeaders(error: ServiceError, dialect: WireDialect): Record<string, string> {
  return {
    'x-amzn-requestid': randomUUID(),
    'x-amzn-errortype': error.code,
    ...(dialect.queryShapes ? { 'x-amzn-query-error': `${error.code};${error.type}` } : {}),
  };
}

export function jsonError(error: ServiceError, dialect: WireDialect): EdgeResponse {
  return {
    status: error.status,
    headers: { 'content-type': jsonContentType(dialect), ...errorHeaders(error, dialect) },
    body: JSON.stringify({ __type: errorTypeName(error, dialect), message: error.message }),
  };
}
