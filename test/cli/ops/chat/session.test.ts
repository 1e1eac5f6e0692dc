// `chatctl chat` as a user runs it (the built CLI, `npm test` builds first), scripted through stdin, against a
// sandbox started in this process that writes its sandbox.json where the CLI looks for it.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Each test spawns the CLI; on a loaded two-core machine a spawn takes seconds (a safety limit, not a speed goal). */
const SPAWN_TEST_MS = 180_000;

import { SANDBOX_DEV_TOKEN_SECRET } from '../../../../core/runtime-env.js';
import { defaultTopology } from '../../../../core/topology.js';
import { signDevToken } from '../../../../runtime/auth/dev-token.js';
import { ChatClient, type FrameOf } from '../../../../runtime/chat-client/client.js';
import type { Sandbox } from '../../../../sandbox/index.js';
import { SANDBOX_DNS_TTL_SECONDS } from '../../../../sandbox/options.js';
import { startTestSandbox } from '../../../sandbox/support.js';

const bin = resolve('bin/run.js');
const topology = defaultTopology();
let cwd: string;
let sandbox: Sandbox;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'chatctl-chat-'));
  sandbox = await startTestSandbox(
    {
      globalServices: true,
      healthCheckIntervalMs: 200,
      failureThreshold: 2,
      statePath: join(cwd, '.chatctl', 'sandbox.json'),
    },
    topology,
  );
  // The topology the sandbox runs, as the CLI's file (without one, every command says it uses the defaults).
  await writeFile(join(cwd, 'chatctl.json'), JSON.stringify(topology));
});

afterAll(async () => {
  await sandbox?.stop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

/** Runs chatctl with `input` on stdin (not blocking this process: the sandbox runs here). */
function chatctl(
  args: string[],
  input: string,
  timeoutMs = 90_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    // The CLI finds the sandbox this file started by its state folder.
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CHATCTL_HOME: join(cwd, '.chatctl') };
    delete env.CHATCTL_CONFIG;
    const child = spawn('node', [bin, ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => {
      child.kill();
      fail(new Error(`chatctl ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

const token = (userId: string) => signDevToken({ userId, ttlSeconds: 600, secret: SANDBOX_DEV_TOKEN_SECRET });

describe('chatctl chat', () => {
  it(
    'chat: a scripted session joins, shows history, sends, replies, reacts, sets a notice, pages and pings',
    async () => {
      const room = `cli-${Date.now()}`;
      const bob = await ChatClient.connect({
        url: sandbox.regions.get('tokyo')?.websocketUrl ?? '',
        token: token('bob'),
        timeoutMs: 30_000,
      });
      try {
        await bob.join(room);
        await bob.send(room, 'hi from tokyo');
        await sandbox.replication.settle();
        const heard = bob.waitFor(
          (f): f is FrameOf<'message'> =>
            f.type === 'message' && f.message.userId === 'alice' && !f.message.parentId,
          30_000,
        );
        const script = [
          'hello from alice',
          '/reply #2 a reply',
          '/react #2 👍',
          '/unreact #2 👍',
          '/notice be kind',
          '/history',
          '/ping',
          '/nonsense',
          '/react #99 👍',
          '/quit',
          'never sent',
        ].join('\n');
        const result = await chatctl(
          ['chat', '--region', 'seoul', '--room', room, '--user', 'alice', '--timeout', '30000'],
          `${script}\n`,
        );
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        const out = result.stdout;
        expect(out).toMatch(/connected to region seoul at ws:\/\/127\.0\.0\.1:\d+\/prod/);
        expect(out).toContain(`joined ${room} as alice: 1 recent message`);
        expect(out).toMatch(/^#1 \d\d:\d\d:\d\d \[tokyo\] bob: hi from tokyo$/m);
        expect(out).toMatch(/^#2 \d\d:\d\d:\d\d \[seoul\] alice: hello from alice$/m);
        expect(out).toMatch(/^#3 \d\d:\d\d:\d\d \[seoul\] alice: \(reply to #2\) a reply$/m);
        expect(out).toContain('* alice reacted 👍 to #2');
        expect(out).toContain('* alice removed 👍 from #2');
        expect(out).toMatch(/^notice \(alice, \d\d:\d\d:\d\d\): be kind$/m);
        expect(out).toContain('no older messages');
        expect(out).toMatch(/^pong from seoul in \d+ ms$/m);
        expect(out).toContain('error: unknown command /nonsense; /help lists them');
        expect(out).toContain('error: there is no message #99 on screen');
        expect(out).not.toContain('never sent');
        expect(out).toMatch(/left cli-\d+: sent 2, received 0, 2 errors/);
        // What alice typed reached a user in another region (through the relay).
        expect((await heard).message).toMatchObject({ text: 'hello from alice', region: 'seoul' });
      } finally {
        await bob.close();
      }
    },
    SPAWN_TEST_MS,
  );

  it(
    'chat: --via dns --from tokyo connects where latency routing sends tokyo users, and --via china through the proxy',
    async () => {
      const dns = await chatctl(
        ['chat', '--via', 'dns', '--from', 'tokyo', '--room', 'routing', '--user', 'yuki'],
        '/ping\n',
      );
      expect(dns.stderr).toBe('');
      expect(dns.stdout).toMatch(
        new RegExp(
          `connected to tokyo \\(latency DNS for users in tokyo, 133\\.242\\.0\\.0/24, answered 127\\.0\\.0\\.\\d+ by 127\\.0\\.0\\.1:\\d+, TTL ${SANDBOX_DNS_TTL_SECONDS} s\\)`,
        ),
      );
      expect(dns.stdout).toMatch(/^pong from tokyo in \d+ ms$/m);
      // By the global name, as a user's client connects: the gateway answers for chat.<domain> by Host.
      expect(dns.stdout).toMatch(/ at ws:\/\/chat\.example\.com:\d+\/prod;/);

      const china = await chatctl(['chat', '--via', 'china', '--room', 'routing', '--user', 'li'], '/ping\n');
      expect(china.stderr).toBe('');
      expect(china.stdout).toContain(`connected through the China proxy at ${sandbox.state.china?.url}`);
      // The proxy's origin is chat.<domain>: from CloudFront's edge next to China, DNS answers seoul.
      expect(china.stdout).toMatch(/^pong from seoul in \d+ ms$/m);
    },
    SPAWN_TEST_MS,
  );

  it(
    'chat: when the region goes down mid-session the session says so and exits 1',
    async () => {
      // The CLI finds the sandbox this file started by its state folder.
      const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CHATCTL_HOME: join(cwd, '.chatctl') };
      delete env.CHATCTL_CONFIG;
      const child = spawn('node', [bin, 'chat', '--region', 'na', '--room', 'outage', '--user', 'dana'], {
        cwd,
        env,
      });
      let stdout = '';
      let stderr = '';
      const joined = new Promise<void>((resolve) => {
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          if (stdout.includes('joined outage as dana')) resolve();
        });
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      try {
        await joined; // stdin stays open: the session waits for input
        sandbox.faults.inject('na', 'gateway-down');
        expect(await exited).toBe(1);
        expect(stdout).toMatch(/^connection closed \(\d+/m);
        // What happened and what to try, not only the close code.
        expect(stdout).toMatch(
          /^closed: .*na has the fault gateway-down\. Reconnect where DNS sends its users: chatctl chat --via dns --from na --room outage --user dana/m,
        );
        expect(stderr).toBe('');
      } finally {
        sandbox.faults.heal('na');
        child.kill();
      }
    },
    SPAWN_TEST_MS,
  );

  it(
    'chat: Ctrl-C leaves cleanly with the summary and exit code 0',
    async () => {
      // The CLI finds the sandbox this file started by its state folder.
      const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', CHATCTL_HOME: join(cwd, '.chatctl') };
      delete env.CHATCTL_CONFIG;
      const child = spawn('node', [bin, 'chat', '--region', 'seoul', '--room', 'sigint', '--user', 'erin'], {
        cwd,
        env,
      });
      let stdout = '';
      const joined = new Promise<void>((resolve) => {
        child.stdout.on('data', (c: Buffer) => {
          stdout += c.toString();
          if (stdout.includes('joined sigint as erin')) resolve();
        });
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      try {
        await joined;
        child.kill('SIGINT');
        expect(await exited).toBe(0);
        expect(stdout).toContain('left sigint: sent 0, received 0');
      } finally {
        child.kill();
      }
    },
    SPAWN_TEST_MS,
  );

  it(
    'chat: a bad region (exit 2, a region not in the topology) or a stray --from (exit 1) is a clear error',
    async () => {
      const mars = await chatctl(['chat', '--region', 'mars', '--user', 'alice'], '');
      expect(mars.code).toBe(2);
      expect(mars.stderr).toContain('no region "mars" in the topology (regions: seoul, tokyo, na)');
      const stray = await chatctl(['chat', '--from', 'tokyo', '--user', 'alice'], '');
      expect(stray.code).toBe(1);
      expect(stray.stderr).toContain('--from only applies with --via dns');
    },
    SPAWN_TEST_MS,
  );

  it(
    'chat --json: one JSON line per frame, session events, and commands read from stdin',
    async () => {
      const result = await chatctl(
        ['chat', '--region', 'seoul', '--room', `json-${Date.now()}`, '--user', 'bot', '--json'],
        'hello from a script\n/ping\n/bogus\n',
      );
      expect(result.code, result.stderr).toBe(0);
      const lines = result.stdout.trim().split('\n');
      const values = lines.map((line) => JSON.parse(line)); // every line is one JSON value
      const types = values.map((v) => (v.type === 'session' ? `session:${v.event}` : v.type));
      expect(types[0]).toBe('session:connected');
      expect(types).toEqual(expect.arrayContaining(['joined', 'ack', 'message', 'pong', 'session:error']));
      expect(types.at(-1)).toBe('session:left');
      expect(values.find((v) => v.type === 'message').message).toMatchObject({
        text: 'hello from a script',
        userId: 'bot',
      });
      expect(values.find((v) => v.event === 'error').message).toMatch(/unknown command \/bogus/);
      expect(values.at(-1)).toMatchObject({ sent: 1, ended: 'eof', region: 'seoul' });
    },
    SPAWN_TEST_MS,
  );

  it(
    'chat: connecting to a region with a fault names the fault and what to do, not "is the sandbox running?"',
    async () => {
      sandbox.faults.inject('tokyo', 'gateway-down');
      try {
        const result = await chatctl(['chat', '--region', 'tokyo', '--room', 'r', '--user', 'bob'], '');
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(/could not connect to region tokyo/);
        expect(result.stderr).toMatch(
          /Hint: tokyo has the fault gateway-down: heal it \(chatctl sandbox heal tokyo\), or chat where DNS sends its users: chatctl chat --via dns --from tokyo/,
        );
        expect(result.stderr).not.toMatch(/is the sandbox running/);
      } finally {
        sandbox.faults.heal('tokyo');
      }
    },
    SPAWN_TEST_MS,
  );
});
