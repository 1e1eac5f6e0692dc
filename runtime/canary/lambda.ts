/**
 * The canary as a Lambda, run every minute by a schedule in every region: one probe of the region's own
 * WebSocket API (runtime/canary/probe.ts), published as CanarySuccess and CanaryLatency in embedded metric
 * format. The canary alarm watches CanarySuccess, and the region's Route 53 health check follows the alarm.
 * Its token comes by auth mode: a dev token it signs, or the Cognito probe user's (./cognito-token.ts).
 */
import { CUSTOM_METRICS, canaryRoom, canaryUser, metricsNamespace } from '../../core/observability.js';
import { RUNTIME_ENV } from '../../core/runtime-env.js';
import { signDevToken } from '../auth/dev-token.js';
import { secretsManagerSecret } from '../auth/secret-source.js';
import { configFromEnv, type RuntimeConfig } from '../config.js';
import { defaultMetricSink, emfLine, type MetricSink, type MetricValue } from '../metrics/emf.js';
import { cognitoTokenSource } from './cognito-token.js';
import { type CanaryResult, runCanaryProbe } from './probe.js';

export interface CanaryConfig {
  readonly regionKey: string;
  readonly url: string;
  readonly namespace: string;
  /**
   * The probe user's token: a dev token it signs (the secret read from Secrets Manager on AWS, cached), or in
   * auth mode "cognito" the probe user's ID token from a sign-in (cached until shortly before it expires).
   */
  readonly token: () => string | Promise<string>;
  readonly timeoutMs?: number;
}

export function canaryConfigFromEnv(env: NodeJS.ProcessEnv = process.env): CanaryConfig {
  const runtime = configFromEnv(env);
  const url = env[RUNTIME_ENV.canaryUrl];
  if (!url)
    throw new Error(
      `environment variable ${RUNTIME_ENV.canaryUrl} is not set; the stack sets it on the canary`,
    );
  return {
    regionKey: runtime.regionKey,
    url,
    namespace: env[RUNTIME_ENV.metricsNamespace] || metricsNamespace('chat'),
    token: canaryTokenSource(runtime, env),
  };
}

/** Where the canary's token comes from, by auth mode: a dev token it signs, or a Cognito sign-in. */
function canaryTokenSource(runtime: RuntimeConfig, env: NodeJS.ProcessEnv): CanaryConfig['token'] {
  const { auth } = runtime;
  if (auth.mode === 'cognito') {
    const need = (name: string) => {
      const value = env[name];
      if (!value)
        throw new Error(
          `environment variable ${name} is not set; the stack sets it on the canary in auth mode "cognito"`,
        );
      return value;
    };
    if (!auth.canaryClientId) need(RUNTIME_ENV.canaryClientId);
    return cognitoTokenSource({
      userPoolId: auth.userPoolId,
      clientId: auth.canaryClientId as string,
      username: need(RUNTIME_ENV.canaryUsername),
      // This region's replica of the secret (the template holds its name only).
      password: secretsManagerSecret(need(RUNTIME_ENV.canaryPasswordSecretId), { region: runtime.awsRegion }),
    });
  }
  if (auth.mode !== 'dev') throw new Error(`the canary cannot run in auth mode "${auth.mode}"`);
  const sign = (secret: string) =>
    signDevToken({ userId: canaryUser(runtime.regionKey), ttlSeconds: 120, secret });
  // On AWS the template holds the secret's id only; the value comes from Secrets Manager (cached).
  if ('secretId' in auth) {
    const source = secretsManagerSecret(auth.secretId, { region: runtime.awsRegion });
    return async () => sign(await source.get());
  }
  return () => sign(auth.secret);
}

/** The metrics of one run: success always, latency only when there is one. */
export function canaryMetrics(result: CanaryResult): MetricValue[] {
  const metrics: MetricValue[] = [
    { name: CUSTOM_METRICS.canarySuccess, value: result.ok ? 1 : 0, unit: 'Count' },
  ];
  if (result.ok && result.latencyMs !== undefined) {
    metrics.push({ name: CUSTOM_METRICS.canaryLatency, value: result.latencyMs, unit: 'Milliseconds' });
  }
  return metrics;
}

/** One canary run: probe, publish, and return the result (a failure is a result, never a thrown error). */
export async function runCanary(
  config: CanaryConfig,
  sink: MetricSink = defaultMetricSink(),
): Promise<CanaryResult> {
  let result: CanaryResult;
  try {
    result = await runCanaryProbe({
      url: config.url,
      token: await config.token(),
      roomId: canaryRoom(config.regionKey),
      timeoutMs: config.timeoutMs,
    });
  } catch (error) {
    result = { ok: false, stage: 'connect', error: String(error), totalMs: 0 };
  }
  const properties: Record<string, string | number> = { url: config.url };
  if (result.stage) properties.stage = result.stage;
  if (result.error) properties.error = result.error;
  sink(emfLine(config.namespace, config.regionKey, canaryMetrics(result), Date.now(), properties));
  return result;
}
