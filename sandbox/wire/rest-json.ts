/** AWS REST-JSON (Lambda's protocol): results and errors as its clients parse them. */
import { randomUUID } from 'node:crypto';
import type { EdgeResponse } from '../contracts.js';
import type { ServiceError } from './service-error.js';

export function restJsonResult(
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): EdgeResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * The error's code in x-amzn-errortype (what the clients read first), and Lambda's body: who is at fault
 * (User or Service) and the message.
 */
export function restJsonError(error: ServiceError): EdgeResponse {
  return restJsonResult(
    error.status,
    { Type: error.type === 'Sender' ? 'User' : 'Service', message: error.message },
    { 'x-amzn-errortype': error.code },
  );
}
