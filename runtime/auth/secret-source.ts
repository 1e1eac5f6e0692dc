/**
 * The dev-token secret on AWS: read from Secrets Manager at run time (the template holds only its id), kept for
 * a few minutes so a warm function does not call Secrets Manager on every $connect, and read again at once
 * when a token fails to verify against a value older than a minute (the secret was rotated).
 */
import type { SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';

export interface SecretSource {
  /** The secret's value (cached). */
  get(): Promise<string>;
  /** The value again from the source, unless the cached one is fresh (read under `minAgeMs` ago). */
  refresh(minAgeMs: number): Promise<string | undefined>;
}

export const SECRET_CACHE_MS = 5 * 60_000;

/** Caches what `fetch` returns for `ttlMs`; concurrent callers share one fetch; a failed fetch is not cached. */
export function cachedSecret(
  fetch: () => Promise<string>,
  options: { ttlMs?: number; now?: () => number } = {},
): SecretSource {
  const ttlMs = options.ttlMs ?? SECRET_CACHE_MS;
  const now = options.now ?? Date.now;
  let value: { secret: string; at: number } | undefined;
  let pending: Promise<string> | undefined;
  const load = () => {
    pending ??= fetch()
      .then((secret) => {
        if (!secret) throw new Error('the dev-token secret is empty');
        value = { secret, at: now() };
        return secret;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  return {
    get: async () => (value && now() - value.at < ttlMs ? value.secret : load()),
    refresh: async (minAgeMs) => (value && now() - value.at < minAgeMs ? undefined : load()),
  };
}

/** The secret `secretId` (name or ARN) from Secrets Manager, through the app's client settings. */
export function secretsManagerSecret(
  secretId: string,
  clientConfig: SecretsManagerClientConfig,
  options: { ttlMs?: number; now?: () => number } = {},
): SecretSource {
  let client: import('@aws-sdk/client-secrets-manager').SecretsManagerClient | undefined;
  return cachedSecret(async () => {
    const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    client ??= new SecretsManagerClient(clientConfig);
    const answer = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    return answer.SecretString ?? '';
  }, options);
}
