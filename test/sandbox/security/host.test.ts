// DNS rebinding: a page on a name it owns, pointed at 127.0.0.1, sends the sandbox requests with that name
// in Host. Every listener (the edge with its control API and console, each gateway, the China proxy)
// refuses a foreign Host, and a loopback name at another port, whatever the method, and still answers its
// own names.
import { request as httpRequest } from 'node:http';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_SECRET_HEADER } from '../../../sandbox/access.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { clientConfig, signedRequest, startTestSandbox } from '../support.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startTestSandbox({ globalServices: true });
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
});

/** One request to 127.0.0.1:port with the Host given (node:http sends it as is). */
function send(
  url: string,
  host: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; upgrade?: boolean } = {},
): Promise<number> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(init.headers ?? {}), host };
    if (init.upgrade) {
      Object.assign(headers, {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
      });
    }
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: init.method ?? 'GET',
        headers,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 101);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const port = (url: string) => Number(new URL(url).port);

async function alarmState(name: string): Promise<string | undefined> {
  const cw = new CloudWatchClient(clientConfig(sandbox, 'ap-northeast-2'));
  const found = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
  return found.MetricAlarms?.[0]?.StateValue;
}

describe('Host check', () => {
  it('security: every listener refuses a foreign Host and a loopback name at another port, GET or POST, and answers its own', async () => {
    const edge = sandbox.edge;
    const secret = {
      [CONTROL_SECRET_HEADER]: sandbox.state.controlSecret,
      'content-type': 'application/json',
    };
    const seoul = sandbox.regions.get('seoul')!;
    const chinaUrl = sandbox.state.china?.url;
    expect(chinaUrl).toBeDefined();
    const china = new URL((chinaUrl as string).replace(/^ws/, 'http')).origin;
    const targets: { label: string; url: string; init?: Parameters<typeof send>[2] }[] = [
      {
        label: 'control API POST /faults',
        url: `${edge}/_chatctl/faults`,
        init: { method: 'POST', headers: secret, body: '{"region":"seoul","fault":"latency=1"}' },
      },
      { label: 'control API GET /status', url: `${edge}/_chatctl/status`, init: { headers: secret } },
      { label: 'console page', url: `${edge}/_chatctl/console/` },
      { label: 'gateway /health', url: seoul.healthUrl },
      {
        label: 'gateway POST @connections',
        url: `${seoul.managementUrl}/@connections/x`,
        init: { method: 'POST', body: 'hi' },
      },
      { label: 'gateway upgrade', url: seoul.websocketUrl.replace(/^ws/, 'http'), init: { upgrade: true } },
      { label: 'China proxy GET', url: `${china}/health` },
      { label: 'China proxy upgrade', url: `${china}/prod`, init: { upgrade: true } },
    ];
    for (const t of targets) {
      const own = port(t.url);
      for (const host of [
        'evil.example',
        `evil.example:${own}`,
        `localhost:${own + 1}`,
        `127.0.0.1:${own === 1 ? 2 : 1}`,
      ]) {
        expect(await send(t.url, host, t.init), `${t.label} with Host ${host}`).toBe(403);
      }
    }
    expect(sandbox.faults.list()).toEqual([]);
    for (const host of [`127.0.0.1:${port(edge)}`, `localhost:${port(edge)}`]) {
      expect(await send(`${edge}/_chatctl/status`, host, { headers: secret })).toBe(200);
    }
    expect(await send(seoul.healthUrl, `localhost:${port(seoul.healthUrl)}`)).toBe(200);
    expect(await send(`${china}/health`, `127.0.0.1:${port(china)}`)).toBe(200);
  }, 60_000);

  it('security: a state-changing AWS call by GET (SetAlarmState) with a rebinding Host is refused and changes nothing', async () => {
    const cw = new CloudWatchClient(clientConfig(sandbox, 'ap-northeast-2'));
    const alarms = await cw.send(new DescribeAlarmsCommand({}));
    const name = alarms.MetricAlarms?.find((a) => a.StateValue !== 'ALARM')?.AlarmName;
    expect(name).toBeDefined();
    const before = await alarmState(name as string);
    const url = `${sandbox.edge}/?Action=SetAlarmState&Version=2010-08-01&AlarmName=${encodeURIComponent(name as string)}&StateValue=ALARM&StateReason=rebound`;
    const rebound = `evil.example:${port(sandbox.edge)}`;
    const signed = await signedRequest(
      url.replace('127.0.0.1', 'evil.example'),
      { method: 'GET' },
      { service: 'monitoring', region: 'ap-northeast-2' },
    );
    expect(await send(url, rebound, { method: 'GET', headers: signed.headers })).toBe(403);
    expect(await alarmState(name as string)).toBe(before);
  });
});
