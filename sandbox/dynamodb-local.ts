/**
 * Starts AWS's own DynamoDB Local engine (shipped inside the amplify-dynamodb-simulator npm package, whose
 * heavy CLI dependency is replaced by an empty stub through package.json "overrides").
 * Without -sharedDb it keeps one database per region (and access key), so one JVM stands for every region.
 *
 * DynamoDB Local has no bind-address option: its main class builds a Jetty 9.4 `Server(port)`, whose one
 * connector listens on every interface. So the engine is not started through its main class but through
 * Jetty's own XmlConfiguration (jetty-xml ships in DynamoDBLocal_lib): a small Jetty XML file calls the
 * same `ServerRunner.createServerFromCommandLineArgs`, sets the connector's host to loopback, then starts
 * it. Only a JRE is needed (no compiled class of ours). `-cors` names an origin no page has, so a web page
 * cannot read the engine either.
 */
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { constants } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { pidAlive } from '../core/process.js';
import {
  type LaunchedEngine,
  launchWatched,
  makeLauncherDir,
  removeEngineRecord,
  writeEngineRecord,
} from './engine-process.js';
import { answerOf } from './http.js';
import { javaMissingError } from './java.js';
import { ensurePrivateTree, withPrivateUmask } from './private-files.js';
import { escapeXml } from './wire/xml.js';

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly port: number;
  /** The JVM's pid. */
  readonly pid: number;
  /** How it ended, once it has. */
  readonly exit: EngineExit | undefined;
  stop(): Promise<void>;
}

export interface EngineExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly at: string;
}

export interface DynamoDbLocalOptions {
  /** Keep data in this folder instead of in memory. */
  readonly dataDir?: string;
  readonly port?: number;
  /** The address it listens on (default 127.0.0.1). */
  readonly host?: string;
  readonly startTimeoutMs?: number;
  /** Write engine.json here once the JVM runs (engine-process.ts); removed when it stops. */
  readonly recordPath?: string;
  /** Called when the engine exits after it answered, unless stop() was called (the sandbox watches it). */
  readonly onExit?: (exit: EngineExit) => void;
}

/** The CORS origin DynamoDB Local is told to allow: none a browser sends (its default is `*`). */
const NO_BROWSER_ORIGIN = 'null-origin.invalid';

/** Jetty XML that starts DynamoDB Local with these arguments, its connector bound to `host`. */
export function loopbackLauncherXml(args: readonly string[], host: string): string {
  const items = args.map((a) => `        <Item>${escapeXml(a)}</Item>`).join('\n');
  return `<?xml version="1.0"?>
<!DOCTYPE Configure PUBLIC "-//Jetty//Configure//EN" "http://www.eclipse.org/jetty/configure_9_3.dtd">
<Configure id="launcher" class="java.util.ArrayList">
  <Call id="proxy" class="com.amazonaws.services.dynamodbv2.local.main.ServerRunner" name="createServerFromCommandLineArgs">
    <Arg>
      <Array type="java.lang.String">
${items}
      </Array>
    </Arg>
  </Call>
  <Call class="java.lang.Class" name="forName">
    <Arg>com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer</Arg>
    <Call id="serverField" name="getDeclaredField"><Arg>server</Arg>
      <Call name="setAccessible"><Arg type="boolean">true</Arg></Call>
    </Call>
  </Call>
  <Ref refid="serverField">
    <Call name="get"><Arg><Ref refid="proxy"/></Arg>
      <Call id="connectors" name="getConnectors"/>
    </Call>
  </Ref>
  <Call class="java.lang.reflect.Array" name="get">
    <Arg><Ref refid="connectors"/></Arg>
    <Arg type="int">0</Arg>
    <Set name="host">${escapeXml(host)}</Set>
  </Call>
  <Ref refid="proxy"><Call name="start"/></Ref>
</Configure>
`;
}

export function dynamoDbLocalDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('could not pick a free port');
  return address.port;
}

/** Whether the engine answers yet (node:http: fetch's first call would load undici while the JVM starts). */
function answers(endpoint: string): Promise<boolean> {
  return answerOf(endpoint, 500).then(
    () => true,
    () => false,
  );
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const dir = dynamoDbLocalDir();
  const port = options.port ?? (await freePort());
  const host = options.host ?? '127.0.0.1';
  const storage = options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory'];
  // The data is chat data: its folder 0700 and the engine's files 0600 (it writes them under a private umask).
  if (options.dataDir) ensurePrivateTree(options.dataDir);
  const launcherDir = makeLauncherDir();
  const launcher = join(launcherDir, 'loopback.xml');
  const engineArgs = [...storage, '-disableTelemetry', '-cors', NO_BROWSER_ORIGIN, '-port', String(port)];
  writeFileSync(launcher, loopbackLauncherXml(engineArgs, host));
  const removeLauncher = () => rmSync(launcherDir, { recursive: true, force: true });
  const args = [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-Xms64m',
    // The client compiler only: C2's background compiling costs more CPU in a sandbox's first minutes (and in
    // every test run) than its faster code saves; measured as engine CPU per chat message.
    '-XX:TieredStopAtLevel=1',
    // One collector thread for a small heap: less CPU next to the Node process on a small machine.
    '-XX:+UseSerialGC',
    '-cp',
    [join(dir, 'DynamoDBLocal.jar'), join(dir, 'DynamoDBLocal_lib', '*')].join(delimiter),
    'org.eclipse.jetty.xml.XmlConfiguration',
    launcher,
  ];
  let launched: LaunchedEngine;
  try {
    launched = withPrivateUmask(() => launchWatched('java', args, { cwd: dir, launcherDir }));
  } catch (error) {
    removeLauncher();
    throw javaMissing(error);
  }
  const { child } = launched;
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  let stopRequested = false;
  let exit: EngineExit | undefined;
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(javaMissing(error)));
    child.once('exit', (code, signal) => {
      exit = { code, signal: signal ?? signalOfCode(code), at: new Date().toISOString() };
      // The shell's "not found": no java on PATH.
      if (code === 127) reject(javaMissingError());
      else reject(new Error(`DynamoDB Local exited with code ${code} before it answered:\n${stderr}`));
    });
  });
  exited.catch(() => {});
  const reach = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const endpoint = `http://${reach.includes(':') ? `[${reach}]` : reach}:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 90_000);
  let failed = false;
  let pid = -1;
  const killEngine = () => {
    if (pid > 0 && pidAlive(pid)) process.kill(pid, 'SIGKILL');
    child.kill('SIGKILL');
  };
  // If this process exits without stop() (a crash), the JVM goes with it (the watchdog covers a kill -9).
  process.once('exit', killEngine);
  const ready = (async () => {
    pid = await launched.pid;
    if (options.recordPath) {
      await writeEngineRecord(options.recordPath, {
        enginePid: pid,
        watchdogPid: child.pid !== pid ? child.pid : undefined,
        launcherDir,
        endpoint,
      });
    }
    // Stops polling once the engine has exited: a loop left running kept a failed `sandbox up` alive.
    while (Date.now() < deadline && !failed) {
      if (await answers(endpoint)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`DynamoDB Local did not answer on ${endpoint} within the start timeout`);
  })();
  try {
    await Promise.race([ready, exited]);
  } catch (error) {
    failed = true;
    process.off('exit', killEngine);
    killEngine();
    if (options.recordPath) await removeEngineRecord(options.recordPath);
    throw error;
  } finally {
    removeLauncher();
  }
  child.once('exit', () => {
    // The watchdog gone alone (killed): its JVM is not left behind.
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    if (!stopRequested) options.onExit?.(exit!);
  });
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    port,
    pid,
    get exit() {
      return exit;
    },
    stop() {
      stopRequested = true;
      stopped ??= (async () => {
        process.off('exit', killEngine);
        if (child.exitCode === null && child.signalCode === null) {
          const gone = once(child, 'exit');
          if (pidAlive(pid)) process.kill(pid, 'SIGTERM');
          const timer = setTimeout(killEngine, 3000);
          await gone;
          clearTimeout(timer);
        }
        child.stdin?.destroy();
        if (options.recordPath) await removeEngineRecord(options.recordPath);
      })();
      return stopped;
    },
  };
}

/** How the engine ended: a shell reports a signal as 128 + its number. */
function signalOfCode(code: number | null): NodeJS.Signals | null {
  if (code === null || code <= 128) return null;
  const found = Object.entries(constants.signals).find(([, n]) => n === code - 128);
  return (found?.[0] as NodeJS.Signals | undefined) ?? null;
}

function javaMissing(error: unknown): Error {
  if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') return javaMissingError();
  return error as Error;
}
