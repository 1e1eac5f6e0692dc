// The chat canary against a running sandbox: the same probe the canary Lambda runs, through a region's real
// WebSocket gateway and handlers, and what it publishes (embedded metric format) when the chat path works and
// when $connect is broken while the region's /health still answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Target } from '../../../cli/ops/target.js';
import { canaryRoom } from '../../../core/observability.js';
import { SANDBOX_DEV_TOKEN_SECRET } from '../../../core/runtime-env.js';
import { signDevToken } from '../../../runtime/auth/dev-token.js';
import { canaryConfigFromEnv, runCanary } from '../../../runtime/canary/lambda.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { breakableConnect, startDrillSandbox } from '../../cli/ops/drill/support.js';

let sandbox: Sandbox;
let target: Target;
/** tokyo's $connect fails the way a broken deploy would (500 from the integration) while `broken` is set. */
const tokyo = breakableConnect('tokyo');

beforeAll(async () => {
  ({ sandbox, target } = await startDrillSandbox({ globalServices: false, createApp: tokyo.createApp }));
});
afterAll(async () => {
  await sandbox?.stop();
});

function canary(region: string) {
  const lines: string[] = [];
  const config = {
    regionKey: region,
    url: target.region(region).websocketUrl,
    namespace: 'chatctl/chat',
    token: () =>
      signDevToken({ userId: `canary-${region}`, ttlSeconds: 60, secret: SANDBOX_DEV_TOKEN_SECRET }),
    // A cold region's first join crosses every region's relay: seconds on a loaded machine.
    timeoutMs: 10_000,
  };
  return { run: () => runCanary(config, (line) => lines.push(line)), lines };
}

describe('chat canary against the sandbox', { timeout: 60_000 }, () => {
  it('canary: connects, joins its room, gets the ack and its own message back, and publishes success and latency', async () => {
    const { run, lines } = canary('seoul');
    const result = await run();
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.latencyMs).toBeLessThanOrEqual(result.totalMs);
    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0]);
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'chatctl/chat',
        Dimensions: [['Region']],
        Metrics: [
          { Name: 'CanarySuccess', Unit: 'Count' },
          { Name: 'CanaryLatency', Unit: 'Milliseconds' },
        ],
      },
    ]);
    expect(emf).toMatchObject({ Region: 'seoul', CanarySuccess: 1, CanaryLatency: result.latencyMs });
    expect(canaryRoom('seoul')).toBe('canary-seoul');
  });

  it('canary: a broken $connect fails the canary at the connect step while /health still answers 200', async () => {
    tokyo.broken = true;
    try {
      const health = await fetch(target.region('tokyo').healthUrl);
      expect(health.status).toBe(200);
      const { run, lines } = canary('tokyo');
      const result = await run();
      expect(result).toMatchObject({ ok: false, stage: 'connect' });
      expect(result.error).toMatch(/refused with HTTP 500/);
      const emf = JSON.parse(lines[0]);
      expect(emf).toMatchObject({ Region: 'tokyo', CanarySuccess: 0, stage: 'connect' });
      expect(emf.CanaryLatency).toBeUndefined();
      expect(emf._aws.CloudWatchMetrics[0].Metrics).toEqual([{ Name: 'CanarySuccess', Unit: 'Count' }]);
    } finally {
      tokyo.broken = false;
    }
    expect((await canary('tokyo').run()).ok).toBe(true);
  });

  it('canary: probes its own region by the global name at its own gateway too, and publishes a judgement of each region it judges', async () => {
    const seoul = target.region('seoul').websocketUrl;
    const port = new URL(seoul).port;
    const published: { key: string; awsRegion: string; ok: boolean }[] = [];
    const run = (globalHost: string) =>
      runCanary(
        {
          regionKey: 'seoul',
          url: seoul,
          global: { url: `ws://${globalHost}:${port}/prod`, address: '127.0.0.1' },
          judged: [{ key: 'tokyo', url: target.region('tokyo').websocketUrl, awsRegion: 'ap-northeast-1' }],
          namespace: 'chatctl/chat',
          token: (key) =>
            signDevToken({ userId: `canary-${key}`, ttlSeconds: 60, secret: SANDBOX_DEV_TOKEN_SECRET }),
          timeoutMs: 5000,
        },
        () => {},
        async (judged, ok) => {
          published.push({ key: judged.key, awsRegion: judged.awsRegion, ok });
        },
      );
    tokyo.broken = true;
    try {
      expect(await run('chat.example.com')).toMatchObject({ ok: true });
      expect(published).toEqual([{ key: 'tokyo', awsRegion: 'ap-northeast-1', ok: false }]);
    } finally {
      tokyo.broken = false;
    }
    expect(await run('chat.example.com')).toMatchObject({ ok: true });
    expect(published.at(-1)).toEqual({ key: 'tokyo', awsRegion: 'ap-northeast-1', ok: true });
    // A global name this gateway does not hold (a broken chat.<domain> mapping) fails the region's own canary.
    const broken = await run('elsewhere.example.com');
    expect(broken).toMatchObject({ ok: false, stage: 'connect' });
    expect(broken.error).toMatch(/through ws:\/\/elsewhere\.example\.com.*403/);
  });

  it('canary: a region that does not answer fails within the deadline, never hangs', async () => {
    const lines: string[] = [];
    const started = Date.now();
    const result = await runCanary(
      {
        regionKey: 'na',
        url: 'ws://127.0.0.1:9/prod',
        namespace: 'chatctl/chat',
        token: () => 'unused',
        timeoutMs: 2000,
      },
      (line) => lines.push(line),
    );
    expect(result).toMatchObject({ ok: false, stage: 'connect' });
    expect(Date.now() - started).toBeLessThan(4000);
    expect(JSON.parse(lines[0])).toMatchObject({ CanarySuccess: 0 });
  });

  it('canaryConfigFromEnv: signs dev tokens for its probe user; in cognito mode it needs its sign-in; a missing URL is named', async () => {
    const env = {
      CHAT_TABLE: 'chat-chat',
      CHAT_REGION_KEY: 'seoul',
      AWS_REGION: 'ap-northeast-2',
      CHAT_AUTH_MODE: 'dev',
      CHAT_DEV_TOKEN_SECRET: SANDBOX_DEV_TOKEN_SECRET,
      CHAT_CANARY_URL: 'wss://seoul.chat.example.com/prod',
    };
    const config = canaryConfigFromEnv(env);
    expect(config).toMatchObject({ regionKey: 'seoul', url: env.CHAT_CANARY_URL, namespace: 'chatctl/chat' });
    const [, payload] = (await config.token('seoul')).split('.');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({ sub: 'canary-seoul' });
    expect(() => canaryConfigFromEnv({ ...env, CHAT_CANARY_URL: '' })).toThrow(/CHAT_CANARY_URL is not set/);
    const cognito = {
      ...env,
      CHAT_AUTH_MODE: 'cognito',
      CHAT_USER_POOL_ID: 'ap-northeast-2_AbCdEfGhI',
      CHAT_USER_POOL_CLIENT_ID: 'chatclient',
      CHAT_CANARY_CLIENT_ID: 'canaryclient',
      CHAT_CANARY_USERNAME: 'chat-canary@probe.invalid',
      CHAT_CANARY_PASSWORD_SECRET_ID: 'chat/chat/canary-probe-password',
    };
    // The sign-in itself is tested against the sandbox's Cognito (cognito-token.test.ts).
    expect(typeof canaryConfigFromEnv(cognito).token).toBe('function');
    for (const missing of [
      'CHAT_CANARY_CLIENT_ID',
      'CHAT_CANARY_USERNAME',
      'CHAT_CANARY_PASSWORD_SECRET_ID',
    ]) {
      expect(() => canaryConfigFromEnv({ ...cognito, [missing]: '' }), missing).toThrow(
        new RegExp(`${missing} is not set; the stack sets it on the canary in auth mode "cognito"`),
      );
    }
  });
});
