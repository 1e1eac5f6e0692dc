/**
 * What a region's handlers need to know. On Lambda it comes from environment variables (names in core/);
 * the sandbox builds one per region and passes it in-process, because all regions share one Node process.
 */
import { RUNTIME_ENV } from '../core/runtime-env.js';

export interface RelayTarget {
  readonly awsRegion: string;
  readonly functionName: string;
}

export type AuthConfig =
  /** Development tokens signed with `secret` (the sandbox passes it in-process). */
  | { readonly mode: 'dev'; readonly secret: string }
  /** Development tokens signed with the Secrets Manager secret `secretId`, read at run time (AWS). */
  | { readonly mode: 'dev'; readonly secretId: string }
  | {
      readonly mode: 'cognito';
      readonly userPoolId: string;
      readonly clientId: string;
      /** The canary's app client: its tokens are accepted too, as the region's canary user (auth/cognito.ts). */
      readonly canaryClientId?: string;
    }
  /** Functions that never see a connection (the analytics flattener): every token is refused. */
  | { readonly mode: 'none' };

export interface RuntimeConfig {
  readonly tableName: string;
  readonly regionKey: string;
  readonly awsRegion: string;
  /** Every other region's relay function, by region key. */
  readonly relayTargets: Readonly<Record<string, RelayTarget>>;
  /** @connections endpoint override (sandbox gateway, e.g. http://127.0.0.1:PORT/prod); else built from the event. */
  readonly managementEndpoint?: string;
  /** AWS endpoint override for DynamoDB, Lambda and Firehose (the sandbox's edge). */
  readonly awsEndpoint?: string;
  /** Fixed credentials for the sandbox; on Lambda the default chain is used. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly auth: AuthConfig;
  /** Compatibility switch (topology auth.tokenInQuery): $connect also takes ?token=. Off unless set. */
  readonly tokenInQuery?: boolean;
  readonly firehoseStream?: string;
  /** Namespace of the custom metrics (embedded metric format); default chatctl/chat. */
  readonly metricsNamespace?: string;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value)
    throw new Error(`environment variable ${name} is not set; the stack sets it on every chat function`);
  return value;
}

/** Parses the relay targets' JSON (every other region's relay function and AWS region). */
export function relayTargetsFrom(raw: string | undefined): Record<string, RelayTarget> {
  const problem = `environment variable ${RUNTIME_ENV.relayTargets} must be JSON {"<region key>": {"awsRegion": "...", "functionName": "..."}}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw || '{}');
  } catch {
    throw new Error(`${problem}; it is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(problem);
  for (const [key, target] of Object.entries(parsed)) {
    const t = target as Partial<RelayTarget> | null;
    if (typeof t?.awsRegion !== 'string' || typeof t?.functionName !== 'string') {
      throw new Error(`${problem}; the entry for "${key}" is not`);
    }
  }
  return parsed as Record<string, RelayTarget>;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const mode = env[RUNTIME_ENV.authMode] ?? 'dev';
  let auth: AuthConfig;
  if (mode === 'cognito') {
    auth = {
      mode: 'cognito',
      userPoolId: required(env, RUNTIME_ENV.userPoolId),
      clientId: required(env, RUNTIME_ENV.userPoolClientId),
      ...(env[RUNTIME_ENV.canaryClientId] ? { canaryClientId: env[RUNTIME_ENV.canaryClientId] } : {}),
    };
  } else if (mode === 'none') {
    auth = { mode: 'none' };
  } else if (env[RUNTIME_ENV.devTokenSecretId]) {
    // On AWS only the secret's id is in the environment (and so in the template); the value is read at run time.
    auth = { mode: 'dev', secretId: env[RUNTIME_ENV.devTokenSecretId] as string };
  } else {
    if (!env[RUNTIME_ENV.devTokenSecret]) {
      throw new Error(
        `environment variable ${RUNTIME_ENV.devTokenSecretId} is not set; the stack sets it on every chat function in auth mode "dev"`,
      );
    }
    auth = { mode: 'dev', secret: env[RUNTIME_ENV.devTokenSecret] as string };
  }
  return {
    tableName: required(env, RUNTIME_ENV.tableName),
    regionKey: required(env, RUNTIME_ENV.regionKey),
    awsRegion: required(env, 'AWS_REGION'),
    relayTargets: relayTargetsFrom(env[RUNTIME_ENV.relayTargets]),
    managementEndpoint: env[RUNTIME_ENV.managementEndpoint] || undefined,
    awsEndpoint: env[RUNTIME_ENV.awsEndpoint] || undefined,
    auth,
    ...(env[RUNTIME_ENV.tokenInQuery] === 'true' ? { tokenInQuery: true } : {}),
    firehoseStream: env[RUNTIME_ENV.firehoseStream] || undefined,
    metricsNamespace: env[RUNTIME_ENV.metricsNamespace] || undefined,
  };
}
