import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionPoster } from '../../runtime/notify/connections.js';
import { CREDENTIALS } from './support.js';

let endpoint: string;
let inFlight = 0;
let maxInFlight = 0;
let received = 0;
const server = createServer((req, res) => {
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  req.resume();
  req.on('end', () =>
    setTimeout(() => {
      inFlight--;
      received++;
      res.writeHead(200).end();
    }, 20),
  );
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('runtime connection poster', () => {
  it('fan-out: posts with bounded concurrency and reaches every connection', async () => {
    const poster = new ConnectionPoster({
      concurrency: 4,
      clientConfig: { region: 'ap-northeast-2', credentials: CREDENTIALS },
    });
    const targets = Array.from({ length: 24 }, (_, i) => ({ connectionId: `c${i}=`, endpoint }));
    const result = await poster.fanOut(targets, '{"type":"pong"}', async () => {});
    expect(result).toEqual({ delivered: 24, gone: [], failed: [] });
    expect(received).toBe(24);
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it('fan-out: the frame is encoded once, and every post sends those same bytes', async () => {
    const bodies: unknown[] = [];
    const poster = new ConnectionPoster({
      clientConfig: { region: 'ap-northeast-2', credentials: CREDENTIALS },
      requestHandler: {
        handle: async (request: { body?: unknown }) => {
          bodies.push(request.body);
          return { response: { statusCode: 200, headers: {}, body: new Uint8Array() } };
        },
      },
    });
    const targets = Array.from({ length: 10 }, (_, i) => ({ connectionId: `m${i}=`, endpoint }));
    const frame = '{"type":"message","text":"héllo"}';
    const result = await poster.fanOut(targets, frame, async () => {});
    expect(result).toEqual({ delivered: 10, gone: [], failed: [] });
    expect(bodies).toHaveLength(10);
    expect(new Set(bodies).size).toBe(1);
    expect(Buffer.from(bodies[0] as Uint8Array).toString('utf8')).toBe(frame);
  });
});
