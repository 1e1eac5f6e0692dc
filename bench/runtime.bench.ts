/**
 * Runtime figures: per handler, the esbuild bundle (minified ESM, AWS SDK v3 included) and its cold start in a
 * fresh `node` process (import + one call) against an empty handler; then the DynamoDB calls, posts and
 * relay Invokes of one `send` for N local members and M remote regions (counted by SDK middleware against
 * DynamoDB Local). `npm run bench -- runtime`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { build } from 'esbuild';
import { ROUTES, type Route } from '../core/protocol.js';
import { RUNTIME_ENV } from '../core/runtime-env.js';
import { createChatApp } from '../runtime/app.js';
import { signDevToken } from '../runtime/auth/dev-token.js';
import type { RuntimeConfig } from '../runtime/config.js';
import { ChatStore } from '../runtime/store/chat-store.js';
import { createChatTable } from '../runtime/store/table.js';
import { startDynamoDbLocal } from '../sandbox/dynamodb-local.js';
import { median, row } from './support.js';

const RUNS = 3;
const exec = promisify(execFile);
const SECRET = 'bench-secret';
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };
const root = resolve(import.meta.dirname, '..');

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A @connections and Lambda Invoke stand-in that answers 200/202 and counts requests. */
async function startSink() {
  const counts = { posts: 0, invokes: 0, ackIds: [] as string[] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (req.url?.includes('/@connections/')) {
        counts.posts++;
        const frame = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (frame.type === 'ack') counts.ackIds.push(frame.messageId);
        res.writeHead(200).end();
      } else {
        counts.invokes++;
        res.writeHead(202).end();
      }
    });
  });
  const url = await listen(server);
  return { url, counts, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const CHILD = `
const [bundle, eventFile] = process.argv.slice(2);
const event = JSON.parse(require('node:fs').readFileSync(eventFile, 'utf8'));
const t0 = performance.now();
import(bundle).then(async (m) => {
  const t1 = performance.now();
  const result = await m.handler(event);
  const t2 = performance.now();
  console.log(JSON.stringify({ importMs: t1 - t0, callMs: t2 - t1, status: result?.statusCode ?? (result?.ok === false ? 500 : 200) }));
  process.exit(0);
});
`;

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'chatctl-bench-runtime-'));
  const dynamo = await startDynamoDbLocal({ startTimeoutMs: 120_000 });
  const sink = await startSink();
  try {
    // --- bundles ---
    writeFileSync(join(dir, 'empty.ts'), 'export const handler = async () => ({ statusCode: 200 });\n');
    const entries: [string, string][] = [
      ['(empty handler)', join(dir, 'empty.ts')],
      ...ROUTES.map((r): [string, string] => [r, join(root, 'runtime/handlers', `${r}.ts`)]),
    ];
    const bundles = new Map<string, { file: string; bytes: number }>();
    for (const [name, entry] of entries) {
      const file = join(dir, `${name.replace(/\W/g, '') || 'empty'}.mjs`);
      await build({
        entryPoints: [entry],
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'node',
        target: 'node20',
        outfile: file,
        // ESM builds of the SDK first: 24% smaller and faster to import than its CommonJS builds (measured).
        mainFields: ['module', 'main'],
        logLevel: 'error',
        banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
      });
      bundles.set(name, { file, bytes: statSync(file).size });
    }

    // --- a region to call: table, a connection in a room, a message to react to ---
    const table = `bench-${randomBytes(3).toString('hex')}`;
    const client = new DynamoDBClient({
      region: 'ap-northeast-2',
      endpoint: dynamo.endpoint,
      credentials: CREDENTIALS,
    });
    await createChatTable(client, table);
    const config: RuntimeConfig = {
      tableName: table,
      regionKey: 'seoul',
      awsRegion: 'ap-northeast-2',
      relayTargets: {
        tokyo: { awsRegion: 'ap-northeast-1', functionName: 'bench-tokyo-relay' },
        na: { awsRegion: 'us-east-1', functionName: 'bench-na-relay' },
      },
      managementEndpoint: `${sink.url}/prod`,
      credentials: CREDENTIALS,
      auth: { mode: 'dev', secret: SECRET },
    };
    const app = createChatApp(config, { dynamodb: client });
    const fixture = (name: string) =>
      JSON.parse(readFileSync(join(root, 'test/runtime/fixtures', name), 'utf8'));
    const ws = (name: string, connectionId: string, body?: unknown) => {
      const event = fixture(name);
      event.requestContext.connectionId = connectionId;
      if (body !== undefined) event.body = JSON.stringify(body);
      return event;
    };
    const token = signDevToken({ userId: 'bench', ttlSeconds: 3600, secret: SECRET });
    const connect = ws('connect.json', 'bench-conn');
    connect.queryStringParameters = { token };
    await app.connect(connect);
    await app.message(ws('message.json', 'bench-conn', { action: 'join', roomId: 'bench' }));
    await app.message(
      ws('message.json', 'bench-conn', { action: 'send', roomId: 'bench', text: 'x', clientMsgId: 'seed' }),
    );
    const messageId = sink.counts.ackIds[0];
    const uid = () => randomBytes(6).toString('hex');
    const events: Record<Route, () => unknown> = {
      connect: () => ({
        ...connect,
        requestContext: { ...connect.requestContext, connectionId: `c-${uid()}` },
      }),
      disconnect: () => ws('disconnect.json', `c-${uid()}`),
      default: () => ws('message.json', 'bench-conn'),
      join: () => ws('message.json', 'bench-conn', { action: 'join', roomId: 'bench' }),
      leave: () => ws('message.json', 'bench-conn', { action: 'leave', roomId: 'elsewhere' }),
      send: () =>
        ws('message.json', 'bench-conn', { action: 'send', roomId: 'bench', text: 'hi', clientMsgId: uid() }),
      history: () => ws('message.json', 'bench-conn', { action: 'history', roomId: 'bench', limit: 20 }),
      react: () =>
        ws('message.json', 'bench-conn', { action: 'react', roomId: 'bench', messageId, emoji: '👍' }),
      notice: () => ws('message.json', 'bench-conn', { action: 'notice', roomId: 'bench', text: 'pinned' }),
      ping: () => ws('message.json', 'bench-conn', { action: 'ping' }),
      relay: () => ({
        relayId: uid(),
        roomId: 'bench',
        originRegion: 'tokyo',
        frame: { type: 'notice', notice: { roomId: 'bench', text: 't', userId: 'u', setAt: 1 } },
      }),
      health: () => fixture('http-api-v2-health.json'),
      stream: () => fixture('dynamodb-stream-modify.json'),
    };
    const env = {
      ...process.env,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_REGION: 'ap-northeast-2',
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      [RUNTIME_ENV.tableName]: table,
      [RUNTIME_ENV.regionKey]: 'seoul',
      [RUNTIME_ENV.relayTargets]: JSON.stringify(config.relayTargets),
      [RUNTIME_ENV.managementEndpoint]: config.managementEndpoint,
      [RUNTIME_ENV.awsEndpoint]: dynamo.endpoint,
      [RUNTIME_ENV.authMode]: 'dev',
      [RUNTIME_ENV.devTokenSecret]: SECRET,
    };
    const childFile = join(dir, 'child.cjs');
    writeFileSync(childFile, CHILD);

    // Asynchronous spawn: the @connections stand-in runs in this process and must keep answering.
    const cold = async (name: string, event: () => unknown) => {
      const bundle = bundles.get(name)!;
      const imports: number[] = [];
      const calls: number[] = [];
      const walls: number[] = [];
      let status = 0;
      for (let i = 0; i < RUNS; i++) {
        const eventFile = join(dir, `event-${i}.json`);
        writeFileSync(eventFile, JSON.stringify(event()));
        const start = performance.now();
        const out = await exec(process.execPath, [childFile, bundle.file, eventFile], {
          env,
          timeout: 60_000,
        });
        walls.push(performance.now() - start);
        const figures = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
        imports.push(figures.importMs);
        calls.push(figures.callMs);
        status = figures.status;
      }
      return {
        bytes: bundle.bytes,
        importMs: median(imports),
        callMs: median(calls),
        wallMs: median(walls),
        status,
      };
    };

    console.log(
      `handler bundles (esbuild, minified ESM, mainFields module,main, AWS SDK v3 inside); cold start = fresh node, median of ${RUNS}`,
    );
    console.log(
      `${'handler'.padEnd(16)} ${'bundle'.padStart(9)} ${'import'.padStart(9)} ${'1st call'.padStart(9)} ${'process'.padStart(9)}  status`,
    );
    const empty = await cold('(empty handler)', () => ({}));
    const line = (name: string, f: Awaited<ReturnType<typeof cold>>) =>
      console.log(
        `${name.padEnd(16)} ${`${(f.bytes / 1024).toFixed(0)} KB`.padStart(9)} ${`${f.importMs.toFixed(1)} ms`.padStart(9)} ${`${f.callMs.toFixed(1)} ms`.padStart(9)} ${`${f.wallMs.toFixed(0)} ms`.padStart(9)}  ${f.status}`,
      );
    line('(empty)', empty);
    for (const route of ROUTES) line(route, await cold(route, events[route]));

    // --- DynamoDB calls per send ---
    console.log(
      '\nper send: DynamoDB calls / posts / relay Invokes (aim: 1 write + 1 query + posts + <= 1 Invoke per remote region)',
    );
    const calls: string[] = [];
    const counted = new DynamoDBClient({
      region: 'ap-northeast-2',
      endpoint: dynamo.endpoint,
      credentials: CREDENTIALS,
    });
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        calls.push(context.commandName as string);
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
    const lambda = new LambdaClient({
      region: 'ap-northeast-1',
      endpoint: sink.url,
      credentials: CREDENTIALS,
    });
    const sender = createChatApp(config, { dynamodb: counted, lambda: () => lambda });
    const store = new ChatStore(client, table);
    for (const n of [1, 10, 100]) {
      for (const m of [0, 1, 2]) {
        const roomId = `room-${n}-${m}`;
        const members = [
          ...Array.from({ length: n }, (_, i) => ({ region: 'seoul', id: `s${i}` })),
          ...['tokyo', 'na'].slice(0, m).map((region) => ({ region, id: `${region}-1` })),
        ];
        for (const member of members) {
          const connection = await store.presence.putConnection({
            region: member.region,
            connectionId: `${roomId}-${member.id}`,
            userId: member.id,
            connectedAt: Date.now(),
          });
          await store.presence.addPresence(connection, roomId);
        }
        calls.length = 0;
        const posts = sink.counts.posts;
        const invokes = sink.counts.invokes;
        await sender.message(
          ws('message.json', `${roomId}-s0`, {
            action: 'send',
            roomId,
            text: 'count me',
            clientMsgId: uid(),
          }),
        );
        const byName = Object.entries(
          calls.reduce<Record<string, number>>((acc, c) => {
            const k = c.replace('Command', '');
            acc[k] = (acc[k] ?? 0) + 1;
            return acc;
          }, {}),
        )
          .map(([k, v]) => `${v} ${k}`)
          .join(' + ');
        row(
          `send, ${n} local member(s), ${m} remote region(s)`,
          `${calls.length} DynamoDB (${byName}), ${sink.counts.posts - posts} posts (ack + ${n}), ${sink.counts.invokes - invokes} Invoke`,
        );
      }
    }
  } finally {
    await sink.close();
    await dynamo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
