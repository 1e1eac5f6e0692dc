/** Turns an AWS SDK or network error into a UserError whose message says what to do. */
import { isUserError, UserError } from '../../../core/errors.js';

export function explainAwsError(error: unknown, doing: string): Error {
  if (isUserError(error)) return error;
  const e = error as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  const name = e?.name ?? '';
  const code = e?.code ?? e?.cause?.code ?? '';
  const message = e?.message ?? String(error);
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new UserError(`${doing}: no AWS credentials found`, {
      hint: 'sign in (aws sso login, or set AWS_PROFILE / AWS_ACCESS_KEY_ID), or use --target sandbox',
      cause: error,
    });
  }
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
    return new UserError(`${doing}: nothing answers at the endpoint (${message})`, {
      hint: 'is the sandbox running? run: chatctl sandbox status (or chatctl sandbox up --detach)',
      cause: error,
    });
  }
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(name + message)) {
    return new UserError(`${doing}: access denied (${message})`, {
      hint: 'the credentials in use lack a permission; check the role or profile (aws sts get-caller-identity)',
      cause: error,
    });
  }
  if (/ExpiredToken|TokenRefreshRequired/i.test(name + message)) {
    return new UserError(`${doing}: the AWS session has expired`, {
      hint: 'sign in again (aws sso login)',
      cause: error,
    });
  }
  if (name === 'ResourceNotFoundException' || name === 'NoSuchHealthCheck' || name === 'NoSuchDistribution') {
    return new UserError(`${doing}: ${message}`, {
      hint: 'is the stack deployed in that region? run: chatctl deploy (or check chatctl.json)',
      cause: error,
    });
  }
  if (/Throttl|TooManyRequests|LimitExceeded/i.test(name)) {
    return new UserError(`${doing}: AWS is throttling requests (${name})`, {
      hint: 'wait a minute and retry',
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** A short sentence for an error a check caught (SDK errors carry their name; timeouts say so). */
export function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  if (!e || typeof e !== 'object') return String(error);
  const message = (e.message ?? String(error)).split('\n')[0];
  if (e.name && e.name !== 'Error' && !message.startsWith(e.name)) {
    return e.name === 'TimeoutError' || e.name === 'ChatClientError' ? message : `${e.name}: ${message}`;
  }
  return message;
}

const CREDENTIALS = /CredentialsProviderError|Could not load credentials|ExpiredToken|TokenRefreshRequired/i;

/**
 * When a check failed because there are no (or expired) AWS credentials, the whole run is moot: throw the
 * sentence that says how to sign in, instead of a table in which every region looks down.
 */
export function assertCredentials(details: readonly string[], doing: string): void {
  const detail = details.find((d) => CREDENTIALS.test(d));
  if (!detail) return;
  const name = /^(\w+):/.exec(detail)?.[1] ?? 'CredentialsProviderError';
  throw explainAwsError({ name, message: detail }, doing);
}
