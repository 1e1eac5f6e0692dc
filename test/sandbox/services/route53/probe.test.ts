import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProbeTarget, probe, SEARCH_BYTES } from '../../../../sandbox/services/route53/probe.js';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/status') {
      res.writeHead(Number(url.searchParams.get('code'))).end('status page');
      return;
    }
    if (url.pathname === '/hang') return; // never answers
    // /body?before=N&text=T: N bytes of padding, then T.
    const before = Number(url.searchParams.get('before') ?? 0);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${'.'.repeat(before)}${url.searchParams.get('text') ?? ''}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const target = (type: string, path: string, searchString?: string): ProbeTarget => ({
  type,
  searchString,
  url: `http://127.0.0.1:${port}${path}`,
  host: '127.0.0.1',
  port,
  ipAddress: '127.0.0.1',
});
const fast = { connectMs: 1000, responseMs: 300, tcpConnectMs: 1000 };

describe('route53 probe', () => {
  it('probe: HTTP passes on 2xx and 3xx, fails on 4xx and 5xx, whatever the body says', async () => {
    expect((await probe(target('HTTP', '/status?code=200'), fast)).ok).toBe(true);
    expect((await probe(target('HTTP', '/status?code=302'), fast)).ok).toBe(true);
    expect(await probe(target('HTTP', '/status?code=503'), fast)).toMatchObject({
      ok: false,
      detail: 'HTTP Status Code 503, Service Unavailable',
    });
    expect((await probe(target('HTTPS', '/status?code=404'), fast)).ok).toBe(false);
  });

  it('probe: HTTP_STR_MATCH needs the string whole in the first 5,120 bytes of a 2xx/3xx body, case-sensitive', async () => {
    const text = 'chat-ok';
    expect((await probe(target('HTTP_STR_MATCH', `/body?text=${text}`, text), fast)).ok).toBe(true);
    const last = SEARCH_BYTES - text.length;
    expect((await probe(target('HTTP_STR_MATCH', `/body?before=${last}&text=${text}`, text), fast)).ok).toBe(
      true,
    );
    // One byte later, the string's last character is byte 5,121: not found.
    const late = await probe(target('HTTP_STR_MATCH', `/body?before=${last + 1}&text=${text}`, text), fast);
    expect(late.ok).toBe(false);
    expect(late.detail).toMatch(/search string was not in the first 5120 bytes/);
    expect((await probe(target('HTTPS_STR_MATCH', '/body?text=CHAT-OK', text), fast)).ok).toBe(false);
    // A plain HTTP check of the same page passes: the string is what fails it.
    expect((await probe(target('HTTP', '/body?text=nothing', text), fast)).ok).toBe(true);
    expect((await probe(target('HTTP_STR_MATCH', '/status?code=500', 'status'), fast)).ok).toBe(false);
  });

  it('probe: an endpoint that does not answer within the response time fails as timed out', async () => {
    const result = await probe(target('HTTP', '/hang'), fast);
    expect(result).toMatchObject({ ok: false });
    expect(result.detail).toMatch(/^Connection timed out/);
  });

  it('probe: TCP passes when the port accepts a connection, even with no HTTP behind it, and fails when closed', async () => {
    const tcp = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const tcpPort = (tcp.address() as AddressInfo).port;
    const at = { ...target('TCP', '/'), url: `http://127.0.0.1:${tcpPort}/`, port: tcpPort };
    expect((await probe(at, fast)).ok).toBe(true);
    // The same port as an HTTP check fails: nothing answers HTTP there.
    expect((await probe({ ...at, type: 'HTTP' }, fast)).ok).toBe(false);
    await new Promise((resolve) => tcp.close(resolve));
    expect(await probe(at, fast)).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^Connection refused/),
    });
  });
});
