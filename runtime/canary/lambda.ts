/**
 * The canary as a Lambda, run every minute by a schedule in every region: probes of the region's own WebSocket
 * API by its own name and by the global name chat.<domain> (runtime/canary/probe.ts), published as
 * CanarySuccess and CanaryLatency in embedded metric format; and one probe of each region it judges
 * (core/routing-health.ts), published into that region's CloudWatch with the judge as a dimension. Each
 * judged region's alarms watch those, and its Route 53 routing check follows the alarms.
 * Its token comes by auth mode: a dev token it signs, or the Cognito probe user's (./cognito-token.ts).
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import {
  CUSTOM_METRICS,
  canaryRoom,
  canaryUser,
  METRIC_DIMENSION,
  metricsNamespace,
} from '../../core/observability.js';
import { JUDGE_DIMENSION } from '../../core/routing-health.js';
import { RUNTIME_ENV } from '../../core/runtime-env.js';
import { signInRegions, userPoolRegion } from '../../core/user-pool.js';
import { signDevToken } from '../auth/dev-token.js';
import { secretsManagerSecret } from '../auth/secret-source.js';
import { configFromEnv, type RuntimeConfig } from '../config.js';
import { defaultMetricSink, emfLine, type MetricSink, type MetricValue } from '../metrics/emf.js';
import { cognitoTokenSource } from './cognito-token.js';
import { type CanaryResult, runCanaryProbe } from './probe.js';

/** A region this canary judges: its WebSocket URL and AWS region (where its CloudWatch is). */
export interface JudgedRegion {
  readonly key: string;
  readonly url: string;
  readonly awsRegion: string;
}

export interface CanaryConfig {
  readonly regionKey: string;
  readonly url: string;
  /** The global name (wss://chat.<domain>/prod) and the host of this region's target of it. */
  readonly global?: { readonly url: string; readonly address?: string };
  /** The other regions it judges. */
  readonly judged?: readonly JudgedRegion[];
  readonly namespace: string;
  /**
   * The probe's token in a region's chat: a dev token it signs for that region's canary user (the secret read
   * from Secrets Manager on AWS, cached), or in auth mode "cognito" the probe user's ID token from a sign-in
   * (cached until shortly before it expires; $connect gives it the region's canary identity).
   */
  readonly token: (regionKey: string) => string | Promise<string>;
  readonly timeoutMs?: number;
}

/** Publishes one judgement of `judged` by this canary into the judged region's CloudWatch. */
export type JudgementSink = (judged: JudgedRegion, ok: boolean) => Promise<void>;

export function canaryConfigFromEnv(env: NodeJS.ProcessEnv = process.env): CanaryConfig {
  const runtime = configFromEnv(env);
  const url = env[RUNTIME_ENV.canaryUrl];
  if (!url)
    throw new Error(
      `environment variable ${RUNTIME_ENV.canaryUrl} is not set; the stack sets it on the canary`,
    );
  const globalUrl = env[RUNTIME_ENV.canaryGlobalUrl];
  let judged: JudgedRegion[] = [];
  try {
    const raw = JSON.parse(env[RUNTIME_ENV.canaryJudged] || '{}') as Record<
      string,
      Omit<JudgedRegion, 'key'>
    >;
    judged = Object.entries(raw).map(([key, r]) => ({ key, url: r.url, awsRegion: r.awsRegion }));
  } catch {
    throw new Error(`environment variable ${RUNTIME_ENV.canaryJudged} is not JSON; the stack sets it`);
  }
  return {
    regionKey: runtime.regionKey,
    url,
    ...(globalUrl
      ? { global: { url: globalUrl, address: env[RUNTIME_ENV.canaryGlobalAddress] || undefined } }
      : {}),
    judged,
    namespace: env[RUNTIME_ENV.metricsNamespace] || metricsNamespace('chat'),
    token: canaryTokenSource(runtime, env),
  };
}

/** PutMetricData of CanarySuccess { Region: judged, Judge: this region } in the judged region. */
export function cloudWatchJudgementSink(
  namespace: string,
  judge: string,
  clientConfig: { endpoint?: string; credentials?: unknown } = {},
): JudgementSink {
  const clients = new Map<string, CloudWatchClient>();
  return async (judged, ok) => {
    const { CloudWatchClient, PutMetricDataCommand } = await import('@aws-sdk/client-cloudwatch');
    let client = clients.get(judged.awsRegion);
    if (!client) {
      client = new CloudWatchClient({ region: judged.awsRegion, ...(clientConfig as object) });
      clients.set(judged.awsRegion, client);
    }
    await client.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [
          {
            MetricName: CUSTOM_METRICS.canarySuccess,
            Dimensions: [
              { Name: METRIC_DIMENSION, Value: judged.key },
              { Name: JUDGE_DIMENSION, Value: judge },
            ],
            Value: ok ? 1 : 0,
            Unit: 'Count',
            Timestamp: new Date(),
          },
        ],
      }),
    );
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
      // Its own region's Cognito first when that holds the pool or its replica (docs/deploying.md).
      regions: signInRegions(
        userPoolRegion(auth.userPoolId),
        env[RUNTIME_ENV.userPoolReplicaRegion] || undefined,
        runtime.awsRegion,
      ),
      clientId: auth.canaryClientId as string,
      username: need(RUNTIME_ENV.canaryUsername),
      // This region's replica of the secret (the template holds its name only).
      password: secretsManagerSecret(need(RUNTIME_ENV.canaryPasswordSecretId), { region: runtime.awsRegion }),
    });
  }
  if (auth.mode !== 'dev') throw new Error(`the canary cannot run in auth mode "${auth.mode}"`);
  const sign = (secret: string, regionKey: string) =>
    signDevToken({ userId: canaryUser(regionKey), ttlSeconds: 120, secret });
  // On AWS the template holds the secret's id only; the value comes from Secrets Manager (cached).
  if ('secretId' in auth) {
    const source = secretsManagerSecret(auth.secretId, { region: runtime.awsRegion });
    return async (regionKey) => sign(await source.get(), regionKey);
  }
  return (regionKey) => sign(auth.secret, regionKey);
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

/** One probe of a region's chat as its canary user, in its canary room; a failure is a result, never thrown. */
async function probe(
  config: CanaryConfig,
  regionKey: string,
  url: string,
  address?: string,
): Promise<CanaryResult> {
  try {
    return await runCanaryProbe({
      url,
      token: await config.token(regionKey),
      roomId: canaryRoom(regionKey),
      timeoutMs: config.timeoutMs,
      ...(address ? { address } : {}),
    });
  } catch (error) {
    return { ok: false, stage: 'connect', error: String(error), totalMs: 0 };
  }
}

/**
 * One canary run: its own region by its own name and by the global name (both must work), and every region it
 * judges, at once; publishes each result and returns its own region's (a failure is a result, never thrown).
 */
export async function runCanary(
  config: CanaryConfig,
  sink: MetricSink = defaultMetricSink(),
  judgements?: JudgementSink,
): Promise<CanaryResult> {
  const publish =
    judgements ??
    (config.judged?.length ? cloudWatchJudgementSink(config.namespace, config.regionKey) : undefined);
  const [own, viaGlobal] = await Promise.all([
    probe(config, config.regionKey, config.url),
    config.global ? probe(config, config.regionKey, config.global.url, config.global.address) : undefined,
    ...(config.judged ?? []).map(async (judged) => {
      const result = await probe(config, judged.key, judged.url);
      await publish?.(judged, result.ok).catch((error: unknown) => {
        // A judgement that cannot be published is missing data there: the judged region's alarm counts it failed.
        sink(
          JSON.stringify({
            message: 'canary judgement not published',
            judged: judged.key,
            error: String(error),
          }),
        );
      });
    }),
  ]);
  const result: CanaryResult =
    own.ok && viaGlobal && !viaGlobal.ok
      ? { ...viaGlobal, error: `through ${config.global?.url}: ${viaGlobal.error ?? 'failed'}` }
      : own;
  const properties: Record<string, string | number> = { url: config.url };
  if (result.stage) properties.stage = result.stage;
  if (result.error) properties.error = result.error;
  sink(emfLine(config.namespace, config.regionKey, canaryMetrics(result), Date.now(), properties));
  return result;
}
