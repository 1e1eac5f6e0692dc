/**
 * The machine checks of `chatctl doctor`: what `sandbox up` needs before it starts (Node, Java, free ports,
 * cores and memory) and what an earlier sandbox may have left behind (a stale sandbox.json, a DynamoDB Local
 * JVM whose sandbox is gone).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, freemem, totalmem } from 'node:os';
import { pidAlive } from '../../../core/process.js';
import type { Topology } from '../../../core/topology.js';
import { WATCHDOG_NAME } from '../../../sandbox/engine-process.js';
import { findOnPath, javaInstallLine, javaMajorVersion, MIN_JAVA_MAJOR } from '../../../sandbox/java.js';
import { readSandboxState, type SandboxState, sandboxStatePath } from '../../../sandbox/state.js';
import { check, type DoctorCheck } from './checks.js';

/** package.json "engines.node". */
export const MIN_NODE = [20, 19] as const;
/** Measured: the sandbox's Node process and DynamoDB Local take about 160 + 230 MiB after a run. */
export const SANDBOX_MEMORY_MIB = 512;
export const SANDBOX_CORES = 2;

export function nodeCheck(version = process.versions.node): DoctorCheck {
  const [major, minor] = version.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return check(
    'node',
    'Node.js',
    ok ? 'ok' : 'fail',
    `${version} (needs ${MIN_NODE.join('.')} or newer)`,
    'install Node.js 20.19 or newer (e.g. from nodejs.org, or: nvm install 22)',
  );
}

export function javaCheck(env: NodeJS.ProcessEnv = process.env): DoctorCheck {
  const java = findOnPath('java', env);
  const install = `install it: ${javaInstallLine(process.platform, env)}`;
  if (!java) return check('java', 'Java', 'fail', 'no java on PATH (DynamoDB Local needs it)', install);
  const { major, text } = javaMajorVersion(java);
  if (major === undefined)
    return check('java', 'Java', 'warn', `${java}: version unknown (${text})`, install);
  return check(
    'java',
    'Java',
    major >= MIN_JAVA_MAJOR ? 'ok' : 'fail',
    `${text} (needs ${MIN_JAVA_MAJOR} or newer)`,
    install,
  );
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The edge port must be free; a busy gateway port only moves that region to another port. */
export async function portsCheck(topology: Topology, running?: SandboxState): Promise<DoctorCheck> {
  const edge = topology.sandbox.port;
  const gateways = topology.regions.map((_, index) => edge + 1 + index);
  if (running) {
    return check(
      'ports',
      'Ports',
      'ok',
      `in use by the running sandbox (pid ${running.pid}, edge ${running.edge})`,
    );
  }
  if (edge === 0) return check('ports', 'Ports', 'ok', 'any free ports (sandbox.port 0)');
  if (!(await portFree(edge))) {
    return check(
      'ports',
      'Ports',
      'fail',
      `the edge port ${edge} (sandbox.port) is in use`,
      `stop what listens on ${edge}, or start on another port: chatctl sandbox up --port ${edge + 100}`,
    );
  }
  const busy: number[] = [];
  for (const port of gateways) if (!(await portFree(port))) busy.push(port);
  const range = `${edge}-${gateways[gateways.length - 1]}`;
  return busy.length === 0
    ? check('ports', 'Ports', 'ok', `${range} free on 127.0.0.1 (edge ${edge}, then one per region)`)
    : check(
        'ports',
        'Ports',
        'warn',
        `edge ${edge} free; gateway port(s) ${busy.join(', ')} in use: those regions take other ports`,
        'nothing needed; for the usual ports, stop what listens there',
      );
}

export async function sandboxStateCheck(statePath = sandboxStatePath()): Promise<{
  check: DoctorCheck;
  running?: SandboxState;
}> {
  const state = await readSandboxState(statePath).catch(() => undefined);
  if (!state) return { check: check('sandbox-state', 'sandbox.json', 'ok', 'no sandbox running here') };
  if (pidAlive(state.pid)) {
    return {
      check: check(
        'sandbox-state',
        'sandbox.json',
        'ok',
        `a sandbox runs (pid ${state.pid}, edge ${state.edge})`,
      ),
      running: state,
    };
  }
  return {
    check: check(
      'sandbox-state',
      'sandbox.json',
      'fail',
      state.stopped
        ? `the sandbox stopped at ${state.stopped.at}: ${state.stopped.reason}`
        : `stale: ${statePath} names pid ${state.pid}, which has exited`,
      'clear it: chatctl sandbox down',
    ),
  };
}

/**
 * The running sandbox's DynamoDB Local, asked directly: it answers, or the sandbox is restarting it, or it is
 * dead under a sandbox that still runs (every chat write fails then).
 */
export async function engineCheck(running: SandboxState | undefined, timeoutMs = 1000): Promise<DoctorCheck> {
  if (!running) return check('engine', 'Sandbox engine', 'skip', 'no sandbox running here');
  const engine = running.dynamodb;
  const answers = await fetch(engine.endpoint, { signal: AbortSignal.timeout(timeoutMs) }).then(
    async (r) => {
      await r.arrayBuffer();
      return true;
    },
    () => false,
  );
  const restarts = engine.restarts ? `, restarted ${engine.restarts} time(s)` : '';
  const death = engine.lastDeath ? ` (last: ${engine.lastDeath.reason} at ${engine.lastDeath.at})` : '';
  if (answers) {
    return check(
      'engine',
      'Sandbox engine',
      'ok',
      `DynamoDB Local answers at ${engine.endpoint} (pid ${engine.pid}${restarts})${death}`,
    );
  }
  return check(
    'engine',
    'Sandbox engine',
    'fail',
    `DynamoDB Local (pid ${engine.pid}) does not answer at ${engine.endpoint}${engine.state === 'restarting' ? ': the sandbox is restarting it' : ''}${death}`,
    'see its output: chatctl sandbox logs; or start again: chatctl sandbox restart',
  );
}

interface EngineProcess {
  readonly pid: number;
  readonly ppid: number;
}

/** DynamoDB Local JVMs on this machine (Linux's /proc, else ps). */
export function dynamoDbLocalProcesses(): EngineProcess[] {
  const out: EngineProcess[] = [];
  if (existsSync('/proc/self/stat')) {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
        // The engine's watchdog (a sh) names the jar too: only the JVM counts.
        if (!cmdline.includes('DynamoDBLocal.jar') || cmdline.includes(WATCHDOG_NAME)) continue;
        // The parent pid is the 2nd field after the ")" that ends the command name.
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        out.push({ pid: Number(name), ppid });
      } catch {
        // gone meanwhile, or not ours to read
      }
    }
    return out;
  }
  try {
    const text = execFileSync('ps', ['-axo', 'pid=,ppid=,command='], { encoding: 'utf8' });
    for (const line of text.split('\n')) {
      const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
      if (match?.[3].includes('DynamoDBLocal.jar') && !match[3].includes(WATCHDOG_NAME))
        out.push({ pid: Number(match[1]), ppid: Number(match[2]) });
    }
  } catch {
    // no ps: nothing to report
  }
  return out;
}

/**
 * A DynamoDB Local is left over when the process that started it is gone (the JVM was re-parented to init).
 * One whose parent lives belongs to a sandbox or a test run elsewhere, and is only counted.
 */
export function leftoverEngineCheck(
  processes = dynamoDbLocalProcesses(),
  running?: SandboxState,
): DoctorCheck {
  const others = processes.filter((p) => p.pid !== running?.dynamodb.pid);
  const orphans = others.filter((p) => p.ppid === 1 || !pidAlive(p.ppid));
  const owned = others.length - orphans.length;
  const elsewhere = owned > 0 ? `; ${owned} more belong to running sandboxes or test runs elsewhere` : '';
  if (orphans.length === 0) {
    return check(
      'dynamodb-local',
      'Leftover DynamoDB Local',
      'ok',
      `none${running ? ` (pid ${running.dynamodb.pid} is this sandbox's)` : ''}${elsewhere}`,
    );
  }
  const pids = orphans.map((p) => p.pid).join(' ');
  return check(
    'dynamodb-local',
    'Leftover DynamoDB Local',
    'warn',
    `${orphans.length} JVM(s) whose sandbox is gone: pid ${pids} (about 200 MiB each)${running ? `; pid ${running.dynamodb.pid} is this sandbox's` : ''}${elsewhere}`,
    `stop them: kill ${pids}`,
  );
}

export function machineCheck(
  cores = availableParallelism(),
  freeBytes = freemem(),
  totalBytes = totalmem(),
): DoctorCheck {
  const freeMiB = Math.round(freeBytes / 2 ** 20);
  const detail = `${cores} core(s), ${freeMiB} MiB free of ${Math.round(totalBytes / 2 ** 20)} MiB (the sandbox takes about ${SANDBOX_MEMORY_MIB} MiB and runs best on ${SANDBOX_CORES}+ cores)`;
  if (freeMiB < SANDBOX_MEMORY_MIB) {
    return check(
      'machine',
      'Cores and memory',
      'fail',
      detail,
      'free some memory (close other programs) first',
    );
  }
  if (cores < SANDBOX_CORES) {
    return check(
      'machine',
      'Cores and memory',
      'warn',
      detail,
      'expect slower figures than the README shows',
    );
  }
  return check('machine', 'Cores and memory', 'ok', detail);
}
