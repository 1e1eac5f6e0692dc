/**
 * An RPC service's request, answered in whichever of its protocols the caller spoke (JSON 1.0/1.1, RPC v2
 * CBOR, query): decode the operation and its input, run the operation, encode its output; a ServiceError in
 * the caller's protocol, anything else thrown as InternalFailure.
 */
import type { EdgeRequest, EdgeResponse } from '../contracts.js';
import type { WireProtocol } from './aws-wire.js';
import { cborResult, decodeCbor, isCbor } from './cbor.js';
import type { RpcCall, WireDialect, WireInput } from './dialect.js';
import { errorResponse } from './errors.js';
import { decodeJson, jsonResult } from './json.js';
import { decodeQuery, queryResult } from './query.js';
import { ServiceError } from './service-error.js';

export type RpcProtocol = Extract<WireProtocol, 'json' | 'rpc-v2-cbor' | 'query'>;

/** One operation: its input in the JSON shape, its output (undefined: an operation with no output). */
export type Operation<C> = (
  context: C,
  input: WireInput,
  request: EdgeRequest,
) => WireInput | undefined | Promise<WireInput | undefined>;

export type Operations<C> = Readonly<Record<string, Operation<C>>>;

/** The protocol of an RPC request: its target header, its CBOR path or header, else the query form. */
export function rpcProtocolOf(request: EdgeRequest): RpcProtocol {
  if (request.headers['x-amz-target']) return 'json';
  return isCbor(request) ? 'rpc-v2-cbor' : 'query';
}

function decode(protocol: RpcProtocol, request: EdgeRequest, dialect: WireDialect): RpcCall {
  if (protocol === 'json') return decodeJson(request, dialect);
  if (protocol === 'rpc-v2-cbor') return decodeCbor(request, dialect);
  return decodeQuery(request);
}

function encode(protocol: RpcProtocol, call: RpcCall, output: WireInput | undefined, dialect: WireDialect) {
  if (protocol === 'json') return jsonResult(output, dialect);
  if (protocol === 'rpc-v2-cbor') return cborResult(output);
  return queryResult(call.operation, output, dialect);
}

export async function serveRpc<C>(
  request: EdgeRequest,
  dialect: WireDialect,
  operations: Operations<C>,
  context: C,
): Promise<EdgeResponse> {
  const protocol = rpcProtocolOf(request);
  try {
    const call = decode(protocol, request, dialect);
    const operation = Object.hasOwn(operations, call.operation) ? operations[call.operation] : undefined;
    if (!operation) {
      const served = Object.keys(operations).join(', ');
      const message = `The action ${call.operation} is not valid for this web service (the sandbox serves ${served}).`;
      throw new ServiceError(
        400,
        protocol === 'query' ? 'InvalidAction' : 'UnknownOperationException',
        message,
      );
    }
    return encode(protocol, call, await operation(context, call.input, request), dialect);
  } catch (error) {
    return errorResponse(protocol, error, dialect);
  }
}
