/**
 * The one error a sandbox service answers with, whatever protocol its caller spoke: AWS's status, error
 * code and message, and who is at fault (Sender: the caller; Receiver: the service). ./errors.ts writes
 * it in the shape each protocol's clients parse.
 */

export type FaultParty = 'Sender' | 'Receiver';

export class ServiceError extends Error {
  readonly type: FaultParty;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    type?: FaultParty,
  ) {
    super(message);
    this.name = code;
    this.type = type ?? (status >= 500 ? 'Receiver' : 'Sender');
  }
}

/** Anything a service throws that is not a ServiceError is the sandbox's own failure: InternalFailure, 500. */
export function asServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ServiceError(500, 'InternalFailure', `the sandbox failed: ${message}`, 'Receiver');
}
