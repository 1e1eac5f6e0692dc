/**
 * CloudWatch's wire: its dialect (the three protocols its clients speak on one endpoint are the wire
 * layer's: the AWS SDK for JavaScript v3 sends JSON 1.0 with X-Amz-Target, awsQueryCompatible, so errors
 * carry x-amzn-query-error; botocore sends Smithy RPC v2 CBOR; older clients the query protocol), and the
 * readers of an input's fields, which accept each protocol's form of a value.
 */
import type { WireDialect, WireInput } from '../../wire/dialect.js';
import { ServiceError } from '../../wire/service-error.js';

export type Input = WireInput;

export const CLOUDWATCH_DIALECT: WireDialect = {
  target: 'GraniteServiceVersion20100801',
  jsonVersion: '1.0',
  xmlns: 'http://monitoring.amazonaws.com/doc/2010-08-01/',
  errorNamespace: 'com.amazonaws.cloudwatch',
  // The JSON and CBOR protocols name the error by its shape; query clients see the shape's query code.
  queryShapes: {
    InvalidParameterValue: 'InvalidParameterValueException',
    InvalidParameterCombination: 'InvalidParameterCombinationException',
    MissingParameter: 'MissingRequiredParameterException',
    InternalServiceError: 'InternalServiceFault',
    LimitExceeded: 'LimitExceededFault',
    InvalidFormat: 'InvalidFormatFault',
    ValidationError: 'ValidationException',
  },
};

export function invalid(message: string): never {
  throw new ServiceError(400, 'InvalidParameterValue', message);
}

// ---- reading fields in any protocol ----

export function str(input: Input, field: string, required = false): string | undefined {
  const value = input[field];
  if (value === undefined || value === null || value === '') {
    if (required) throw new ServiceError(400, 'MissingParameter', `The parameter ${field} is required.`);
    return undefined;
  }
  return String(value);
}

export function num(input: Input, field: string, required = false): number | undefined {
  const value = input[field];
  if (value === undefined || value === null || value === '') {
    if (required) throw new ServiceError(400, 'MissingParameter', `The parameter ${field} is required.`);
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
    if (required) throw new ServiceError(400, 'MissingParameter', `The parameter ${field} is required.`);
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
