// The sandbox's gateways route by Host as API Gateway does: each answers for its region's own names and for the
// global chat.<domain> (every region holds that custom domain, for latency routing), and refuses any other name
// with 403. A client reaches chat.<domain> at the address DNS gave, so the name travels in Host.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_DEV_TOKEN_SECRET } from '../../../core/runtime-env.js';
import { signDevToken } from '../../../runtime/auth/dev-token.js';
import { ChatClient } from '../../../runtime/chat-client/client.js';
import { ChatClientError } from '../../../runtime/chat-client/socket.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { startTestSandbox } from '../support.js';

let sandbox: Sandbox;
const token = (userId: string) => signDevToken({ userId, ttlSeconds: 600, secret: SANDBOX_DEV_TOKEN_SECRET });
const portOf = (key: string) => new URL(sandbox.regions.get(key)!.websocketUrl).port;

beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  await sandbox?.stop();
});

async function refusal(url: string): Promise<string> {
  try {
    const client = await ChatClient.connect({ url, address: '127.0.0.1', token: token('mallory') });
    await client.close();
    return 'connected';
  } catch (error) {
    return error instanceof ChatClientError ? error.message : String(error);
  }
}

describe('sandbox gateways answer by Host', () => {
  it('global name: wss://chat.<domain>/prod reaches the region DNS picked, and that region answers', async () => {
    for (const key of ['seoul', 'tokyo']) {
      const client = await ChatClient.connect({
        url: `ws://chat.example.com:${portOf(key)}/prod`,
        address: '127.0.0.1',
        token: token(`user-${key}`),
      });
      try {
        expect((await client.ping()).region).toBe(key);
      } finally {
        await client.close();
      }
    }
  });

  it('global name: a name the region does not hold is refused with 403, as API Gateway refuses it', async () => {
    expect(await refusal(`ws://tokyo.chat.example.com:${portOf('seoul')}/prod`)).toMatch(/403/);
    expect(await refusal(`ws://chat.example.org:${portOf('seoul')}/prod`)).toMatch(/403/);
    expect(await refusal(`ws://seoul.chat.example.com:${portOf('seoul')}/prod`)).toBe('connected');
    const status = await new Promise<number>((done, fail) => {
      const req = request(
        { host: '127.0.0.1', port: portOf('seoul'), path: '/health', headers: { host: 'evil.example.org' } },
        (res) => {
          res.resume();
          done(res.statusCode ?? 0);
        },
      );
      req.on('error', fail);
      req.end();
    });
    expect(status).toBe(403);
  });
});
