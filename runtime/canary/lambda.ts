/**
 * The canary as a Lambda, run every minute by a schedule in every region: one probe of the region's own
 * WebSocket API (runtime/canary/probe.ts), published as CanarySuccess and CanaryLatency in embedded metric
 * format. The canary alarm watches CanarySuccess, and the region's Route 53 health check follows the alarm.
 */
import { CUSTOM_METRICS, canaryRoom, canaryUser, metricsNamespace } from '../../core/observability.js';
import { RUNTIME_ENV } from '../../core/runtime-env.js';
import { signDevToken } from '../auth/dev-token.js';
import { secretsManagerSecret } from '../auth/secret-source.js';
import { configFromEnv } from '../config.js';
import { defaultMetricSink, emfLine, type MetricSink, type MetricValue } from '../metrics/emf.js';
import { type CanaryResult, runCanaryProbe } from './probe.js';

export interface CanaryConfig {
  readonly regionKey: string;
  readonly url: string;
  readonly namespace: string;
  /**
   * Signs a short-lived token for the probe user (dev tokens; see docs/observability.md for Cognito). On AWS
   * the secret is read from Secrets Manager at run time (cached), so this may be asynchronous.
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
  const { auth } = runtime;
  if (auth.mode !== 'dev') {
    throw new Error('the canary signs dev tokens; in cognito mode the stacks do not deploy it');
  }
  const sign = (secret: string) =>
    signDevToken({ userId: canaryUser(runtime.regionKey), ttlSeconds: 120, secret });
  // On AWS the template holds the secret's id only; the value comes from Secrets Manager (cached).
  const source =
    'secretId' in auth ? secretsManagerSecret(auth.secretId, { region: runtime.awsRegion }) : undefined;
  return {
    regionKey: runtime.regionKey,
    url,
    namespace: env[RUNTIME_ENV.metricsNamespace] || metricsNamespace('chat'),
    token: source ? async () => sign(await source.get()) : () => sign((auth as { secret: string }).secret),
  };
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
