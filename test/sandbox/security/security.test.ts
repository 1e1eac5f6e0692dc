// The sandbox as an outside client and a crash see it: the built CLI runs it (`sandbox up --detach
// --verify-signatures`, its own DynamoDB Local), and a second process sends what an attacker or a web page
// would. npm test builds first.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_SECRET_HEADER } from '../../../sandbox/access.js';
import type { SandboxState } from '../../../sandbox/state.js';
import { alive, chatctlIn } from '../cli-run.js';
import { signedRequest } from '../support.js';
import { listeningSockets } from './sockets.js';

const cwd = mkdtempSync(join(tmpdir(), 'chatctl-security-'));
const chatctl = chatctlIn(cwd);
const statePath = join(cwd, '.chatctl', 'sandbox.json');

const readState = () => JSON.parse(readFileSync(statePath, 'utf8')) as SandboxState;

interface Outcome {
  status: number;
  errorType: string | null;
  allowOrigin: string | null;
  body: string;
}

interface OutsideRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Sends the requests from a process of its own, as any other program on the machine would. */
function fromOutside(requests: OutsideRequest[]): Outcome[] {
  const out = execFileSync(
    process.execPath,
    [resolve(__dirname, 'outside-client.mjs'), JSON.stringify(requests)],
    {
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  return JSON.parse(out) as Outcome[];
}

let state: SandboxState;
let upOutput = '';
const stateFolder = join(cwd, '.chatctl');

beforeAll(() => {
  // A state folder left world-readable by an older chatctl, with a readable log and journal in it.
  mkdirSync(join(stateFolder, 'drills'), { recursive: true });
  writeFileSync(join(stateFolder, 'sandbox.out'), 'an old console URL #secret=0123\n');
  writeFileSync(join(stateFolder, 'drills', 'old.json'), '{}\n');
  chmodSync(stateFolder, 0o755);
  chmodSync(join(stateFolder, 'sandbox.out'), 0o644);
  chmodSync(join(stateFolder, 'drills', 'old.json'), 0o644);
  const up = chatctl('sandbox', 'up', '--detach', '--port', '0', '--verify-signatures', '--persist');
  expect(up.code, up.stderr).toBe(0);
  upOutput = up.stdout + up.stderr;
  state = readState();
}, 120_000);

/** Every path under a folder with its permission bits. */
function modesUnder(dir: string): { path: string; mode: number; folder: boolean }[] {
  const out: { path: string; mode: number; folder: boolean }[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const folder = entry.isDirectory();
    out.push({ path, mode: statSync(path).mode & 0o777, folder });
    if (folder) out.push(...modesUnder(path));
  }
  return out;
}

afterAll(() => {
  chatctl('sandbox', 'down');
  rmSync(cwd, { recursive: true, force: true });
});

const listTables = {
  'content-type': 'application/x-amz-json-1.0',
  'x-amz-target': 'DynamoDB_20120810.ListTables',
};
const DDB = { service: 'dynamodb', region: 'ap-northeast-2' };

describe('sandbox security', () => {
  it('security: everything the sandbox starts listens on loopback only, the database engine included', () => {
    const sockets = listeningSockets([state.pid, state.dynamodb.pid]);
    const engine = Number(new URL(state.dynamodb.endpoint).port);
    const edge = Number(new URL(state.edge).port);
    const ports = sockets.map((s) => s.port);
    expect(ports).toContain(engine);
    expect(ports).toContain(edge);
    for (const region of Object.values(state.regions))
      expect(ports).toContain(Number(new URL(region.healthUrl).port));
    // The DNS server: UDP and TCP on one port.
    expect(sockets).toContainEqual({ protocol: 'udp', address: '127.0.0.1', port: state.dns?.port });
    expect(sockets).toContainEqual({ protocol: 'tcp', address: '127.0.0.1', port: state.dns?.port });
    expect(sockets.filter((s) => !s.address.startsWith('127.'))).toEqual([]);
  });

  it('security: the state folder is 0700 and every file in it 0600 (the log, sandbox.out, the --persist data), a looser one tightened at start', () => {
    expect(statSync(stateFolder).mode & 0o777).toBe(0o700);
    const paths = modesUnder(stateFolder);
    expect(paths.map((p) => p.path)).toEqual(
      expect.arrayContaining([
        join(stateFolder, 'sandbox.out'),
        join(stateFolder, 'sandbox.log'),
        join(stateFolder, 'sandbox.json'),
        join(stateFolder, 'data'),
      ]),
    );
    expect(
      paths.filter((p) => p.path.startsWith(join(stateFolder, 'data')) && !p.folder).length,
    ).toBeGreaterThan(0);
    for (const p of paths) expect([p.path, p.mode]).toEqual([p.path, p.folder ? 0o700 : 0o600]);
    expect(upOutput).toMatch(/tightened the folder .*\.chatctl from 0755 to 0700/);
    expect(readFileSync(join(stateFolder, 'sandbox.out'), 'utf8')).not.toContain('#secret=0123');
  });

  it('security: sandbox.json is mode 0600 and holds a 64-hex control secret', () => {
    expect(statSync(statePath).mode & 0o777).toBe(0o600);
    expect(state.controlSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(state.verifySignatures).toBe(true);
  });

  it('security: the edge refuses no signature, a malformed or wrong one and an unknown key, with AWS codes', async () => {
    const url = `${state.edge}/`;
    const good = await signedRequest(url, { headers: listTables, body: '{}' }, DDB);
    const wrongSecret = await signedRequest(url, { headers: listTables, body: '{}' }, DDB, {
      accessKeyId: 'sandbox',
      secretAccessKey: 'not-the-secret',
    });
    const unknownKey = await signedRequest(url, { headers: listTables, body: '{}' }, DDB, {
      accessKeyId: 'AKIAUNKNOWN',
      secretAccessKey: 'whatever',
    });
    const zeroSignature = good.headers.authorization.replace(/Signature=[0-9a-f]+/, 'Signature=00');
    const tampered = { ...good, body: '{"Limit":1}' };
    const [unsigned, zero, wrong, unknown, changedBody, ok] = fromOutside([
      { url, method: 'POST', headers: listTables, body: '{}' },
      { url, method: 'POST', headers: { ...good.headers, authorization: zeroSignature }, body: '{}' },
      { url, ...wrongSecret },
      { url, ...unknownKey },
      { url, ...tampered },
      { url, ...good },
    ]);
    expect([unsigned.status, JSON.parse(unsigned.body).__type]).toEqual([
      403,
      'MissingAuthenticationTokenException',
    ]);
    expect([zero.status, JSON.parse(zero.body).__type]).toEqual([403, 'InvalidSignatureException']);
    expect([wrong.status, JSON.parse(wrong.body).__type]).toEqual([403, 'InvalidSignatureException']);
    expect([unknown.status, JSON.parse(unknown.body).__type]).toEqual([403, 'UnrecognizedClientException']);
    expect(changedBody.status).toBe(403);
    expect(ok.status, ok.body).toBe(200);
    expect(JSON.parse(ok.body)).toHaveProperty('TableNames');
  });

  it('security: a web page cannot invoke the relay, even as a "simple" text/plain request with query credentials', async () => {
    const relay = `${state.edge}/2015-03-31/functions/chat-seoul-relay/invocations`;
    const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
    const presigned =
      `${relay}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(`sandbox/${date.slice(0, 8)}/ap-northeast-2/lambda/aws4_request`)}` +
      `&X-Amz-Date=${date}&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Signature=${'0'.repeat(64)}`;
    const frame = JSON.stringify({ roomId: 'lobby', frame: { type: 'message', text: 'forged' } });
    const signed = await signedRequest(
      relay,
      { headers: { 'content-type': 'text/plain' }, body: frame },
      {
        service: 'lambda',
        region: 'ap-northeast-2',
      },
    );
    const [page, forged, pageSigned] = fromOutside([
      {
        url: presigned,
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
        body: frame,
      },
      { url: presigned, method: 'POST', headers: { 'content-type': 'text/plain' }, body: frame },
      { url: relay, ...signed, headers: { ...signed.headers, origin: 'https://evil.example' } },
    ]);
    expect(page.status).toBe(403);
    expect(page.body).toMatch(/Origin https:\/\/evil\.example/);
    expect(forged.status).toBe(403);
    expect(forged.errorType).toBe('InvalidSignatureException');
    expect(pageSigned.status).toBe(403);
    for (const outcome of [page, forged, pageSigned]) expect(outcome.allowOrigin).toBeNull();
  });

  it('security: the control API needs the secret of sandbox.json, and refuses any browser Origin', () => {
    const status = `${state.edge}/_chatctl/status`;
    const stop = `${state.edge}/_chatctl/stop`;
    const secret = { [CONTROL_SECRET_HEADER]: state.controlSecret };
    const [noSecret, wrongSecret, page, pageWithSecret, ownConsole, ok] = fromOutside([
      { url: stop, method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' },
      { url: stop, method: 'POST', headers: { [CONTROL_SECRET_HEADER]: 'f'.repeat(64) }, body: '{}' },
      {
        url: stop,
        method: 'POST',
        headers: { origin: 'https://evil.example', 'content-type': 'text/plain' },
        body: '{}',
      },
      { url: status, headers: { ...secret, origin: 'https://evil.example' } },
      { url: status, headers: { ...secret, origin: state.edge } },
      { url: status, headers: secret },
    ]);
    for (const refused of [noSecret, wrongSecret, page, pageWithSecret]) {
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body)).toEqual({ error: expect.any(String), hint: expect.any(String) });
      expect(refused.allowOrigin).toBeNull();
    }
    expect(ownConsole.status).toBe(200);
    expect(ok.status).toBe(200);
    expect(alive(state.pid)).toBe(true);
  });

  it('security: @connections needs a valid signature to post, describe or delete a connection', async () => {
    const target = `${state.regions.seoul.managementUrl}/@connections/${encodeURIComponent('AAAAAAAAAAA=')}`;
    const scope = { service: 'execute-api', region: 'ap-northeast-2' };
    const post = await signedRequest(target, { body: '{"type":"message"}' }, scope);
    const wrongPost = await signedRequest(target, { body: '{"type":"message"}' }, scope, {
      accessKeyId: 'sandbox',
      secretAccessKey: 'nope',
    });
    const del = await signedRequest(target, { method: 'DELETE' }, scope);
    const [unsignedPost, unsignedGet, unsignedDelete, forged, signedPost, signedDelete, page] = fromOutside([
      { url: target, method: 'POST', body: '{"type":"message"}' },
      { url: target },
      { url: target, method: 'DELETE' },
      { url: target, ...wrongPost },
      { url: target, ...post },
      { url: target, ...del },
      { url: target, ...post, headers: { ...post.headers, origin: 'https://evil.example' } },
    ]);
    for (const refused of [unsignedPost, unsignedGet, unsignedDelete]) {
      expect([refused.status, refused.errorType]).toEqual([403, 'MissingAuthenticationTokenException']);
    }
    expect([forged.status, forged.errorType]).toEqual([403, 'InvalidSignatureException']);
    expect(page.status).toBe(403);
    // A correctly signed request reaches @connections: the connection is not open, so 410 Gone.
    expect([signedPost.status, signedPost.errorType]).toEqual([410, 'GoneException']);
    expect([signedDelete.status, signedDelete.errorType]).toEqual([410, 'GoneException']);
  });
});
