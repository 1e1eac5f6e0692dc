/**
 * The one serialiser of a ServiceError: in the caller's protocol, with AWS's error shape for it (JSON and
 * CBOR carry __type, query and REST-XML an ErrorResponse, REST-JSON x-amzn-errortype).
 */
import type { EdgeResponse } from '../contracts.js';
import type { WireProtocol } from './aws-wire.js';
import { cborError } from './cbor.js';
import type { WireDialect } from './dialect.js';
import { jsonError } from './json.js';
import { xmlError } from './query.js';
import { restJsonError } from './rest-json.js';
import { asServiceError, type FaultParty, ServiceError } from './service-error.js';

export function errorResponse(
  protocol: WireProtocol,
  error: unknown,
  dialect: WireDialect = {},
): EdgeResponse {
  const fault = asServiceError(error);
  switch (protocol) {
    case 'json':
      return jsonError(fault, dialect);
    case 'rpc-v2-cbor':
      return cborError(fault, dialect);
    case 'rest-json':
      return restJsonError(fault);
    case 'query':
    case 'rest-xml':
      return xmlError(fault, dialect);
  }
}

/** An error of the edge itself (no such service, a bad signature), in the caller's protocol. */
export function awsError(
  protocol: WireProtocol,
  status: number,
  code: string,
  message: string,
  dialect: WireDialect & { readonly type?: FaultParty } = {},
): EdgeResponse {
  return errorResponse(protocol, new ServiceError(status, code, message, dialect.type), dialect);
}

/**
 * The AWS error code an error answer carries, in whichever protocol: REST-JSON's x-amzn-errortype header,
 * JSON's `__type` (after its namespace's `#`), or an XML `<Code>`. For the log; undefined when none is found.
 */
export function errorCodeOf(response: EdgeResponse): string | undefined {
  const header = response.headers?.['x-amzn-errortype'] ?? response.headers?.['X-Amzn-ErrorType'];
  if (header) return header.split(':')[0];
  const body = response.body;
  if (body === undefined || body.length > 16_384) return undefined;
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const json = /"__type"\s*:\s*"(?:[^"#]*#)?([A-Za-z0-9.]+)"/.exec(text);
  if (json) return json[1];
  return /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
}
