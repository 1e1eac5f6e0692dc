/** Turns an AWS SDK or network error into a UserError whose message says what to do. */
import { isUserError, UserError } from '../../core/errors.js';

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
