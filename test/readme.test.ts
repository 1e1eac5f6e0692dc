/**
 * README.md, taken literally on a fresh copy of the repo: the commands of its fenced `sh` blocks and of its
 * `$ ` transcripts are read from README.md and run through a shell, as a user types them, in a folder that
 * holds only the tracked files (`git ls-files`), with `chatctl` on PATH as `npm link` puts it there. Where
 * README shows output (the health table, a drill's summary), the shape of what the command prints is
 * compared with it, so README cannot drift from the tool. One sandbox, the steps in order.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pidAlive } from '../core/process.js';
import { eventually } from './support/eventually.js';

interface Block {
  /** The `## ` heading the block sits under. */
  readonly section: string;
  /** The fence's info string: `sh`, or '' for a transcript. */
  readonly lang: string;
  readonly lines: readonly string[];
}

function readmeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  let section = '';
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of markdown.split('\n')) {
    if (open) {
      if (line.startsWith('```')) {
        blocks.push({ section, ...open });
        open = undefined;
      } else open.lines.push(line);
    } else if (line.startsWith('```')) open = { lang: line.slice(3).trim(), lines: [] };
    else if (line.startsWith('## ')) section = line.slice(3).trim();
  }
  return blocks;
}

/** A transcript's commands (`$ ` lines) with the output README shows under each. */
function transcript(block: Block): { command: string; shown: string[] }[] {
  const steps: { command: string; shown: string[] }[] = [];
  for (const line of block.lines) {
    if (line.startsWith('$ ')) steps.push({ command: line.slice(2), shown: [] });
    else steps.at(-1)?.shown.push(line);
  }
  return steps;
}

/** The commands of an `sh` block: every line but blank ones and comments (the shell skips those too). */
const shCommands = (block: Block) => block.lines.filter((l) => l.trim() && !l.trim().startsWith('#'));

const readme = readFileSync('README.md', 'utf8');
const blocks = readmeBlocks(readme);
const inSection = (section: string, lang: string) =>
  blocks.filter((b) => b.section === section && (lang === 'sh' ? b.lang === 'sh' : b.lang === ''));

const root = mkdtempSync(join(tmpdir(), 'chatctl-readme-'));
const clone = join(root, 'chatctl');
const linkDir = join(root, 'global-bin');
/** A user's home of its own: the machine's one sandbox is found through it (~/.local/state/chatctl). */
const home = join(root, 'home');

/** The user's environment: chatctl on PATH, nothing of the npm run that started vitest. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_|^INIT_CWD$|^CHATCTL_|^XDG_STATE_HOME$/.test(key)) env[key] = value;
  }
  return {
    ...env,
    HOME: home,
    PATH: `${linkDir}${delimiter}${process.env.PATH}`,
    NO_COLOR: '1',
    // Any free ports: other sandboxes (other test files, a developer's own) may hold 4566 and after.
    CHATCTL_SANDBOX_PORT: '0',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

interface ShellRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** One README line through `sh -c`, as typed at a prompt in `cwd`; `input` is what the user types. */
function sh(command: string, options: { cwd?: string; input?: string; timeoutMs?: number } = {}): ShellRun {
  const started = performance.now();
  const run = spawnSync('sh', ['-c', command], {
    cwd: options.cwd ?? clone,
    env: userEnv(),
    encoding: 'utf8',
    input: options.input ?? '',
    timeout: options.timeoutMs ?? 120_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, ms: performance.now() - started };
}

/** A command left running in its own process group, as a terminal's foreground job. */
interface Job {
  readonly child: ChildProcess;
  output: string;
  readonly exited: Promise<number | null>;
}

function startJob(command: string): Job {
  // bash as the terminal's shell: at Ctrl-C it waits for the job and exits as the job did (dash would not).
  const child = spawn('bash', ['-c', command], { cwd: clone, env: userEnv(), detached: true });
  const job: Job = {
    child,
    output: '',
    exited: new Promise((done) => child.once('exit', (code, signal) => done(code ?? (signal ? -1 : null)))),
  };
  child.stdout?.on('data', (chunk) => {
    job.output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    job.output += chunk;
  });
  return job;
}

/** Cells of a table row as chatctl prints it: two or more spaces between columns. */
const cells = (row: string) => row.trim().split(/\s{2,}/);

interface SandboxStatusJson {
  running: boolean;
  state?: { pid: number; dynamodb: { pid: number } };
}

const statusJson = (cwd = clone) =>
  JSON.parse(sh('chatctl sandbox status --json', { cwd }).stdout) as SandboxStatusJson;

let foreground: Job | undefined;

beforeAll(() => {
  mkdirSync(home);
  // The tracked files only, as a clone has them.
  const files = spawnSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(file, join(clone, file));
  }
  // `npm ci` = install the locked packages, then the `prepare` script (the build). The packages are linked
  // from this checkout instead of downloaded again (the same package-lock.json; a download takes minutes
  // and the network), and the build runs in the copy as npm ci runs it.
  symlinkSync(resolve('node_modules'), join(clone, 'node_modules'), 'dir');
  const prepare = spawnSync('npm', ['run', 'prepare'], { cwd: clone, encoding: 'utf8', env: userEnv() });
  expect(prepare.status, prepare.stderr).toBe(0);
  // `npm link --ignore-scripts` = a `chatctl` link to bin/run.js in npm's global bin folder, on PATH.
  mkdirSync(linkDir);
  symlinkSync(join(clone, 'bin', 'run.js'), join(linkDir, 'chatctl'));
}, 120_000);

afterAll(async () => {
  if (foreground?.child.pid && foreground.child.exitCode === null) {
    try {
      process.kill(-foreground.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  sh('chatctl sandbox down');
  rmSync(root, { recursive: true, force: true });
});

describe('README.md on a fresh clone', () => {
  it('README Commands: the table lists every command and alias there is; every one takes --json; under 350 lines', () => {
    const manifest = JSON.parse(readFileSync(join(clone, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, { aliases: string[]; flags: Record<string, unknown> }>;
    };
    const ids = Object.keys(manifest.commands).map((id) => id.replaceAll(':', ' '));
    const rows = readme
      .split('\n')
      .filter((l) => l.startsWith('| `chatctl '))
      .map((l) => l.slice(2).split(' |')[0] ?? '');
    const named = rows.map((cell) =>
      (cell.split('`')[1] ?? '')
        .replace(/^chatctl /, '')
        .split(' ')
        .filter((w) => /^[a-z][a-z-]*$/.test(w))
        .join(' '),
    );
    expect([...named].sort()).toEqual([...ids].sort());
    // Aliases are named in their command's row: `chatctl sandbox up` (or `start`).
    for (const [id, command] of Object.entries(manifest.commands)) {
      const row = rows[named.indexOf(id.replaceAll(':', ' '))] ?? '';
      for (const alias of command.aliases) expect(row).toContain(`(or \`${alias.split(':').at(-1)}\`)`);
      expect(Object.keys(command.flags), id).toContain('json');
    }
    // README names the commands that take no --json: oclif's own, which refuse it.
    expect(readme).toMatch(
      /Every chatctl command \(not oclif's own `help` and `autocomplete`\) takes `--json`/,
    );
    expect(sh('chatctl autocomplete --json').code).toBe(2);
    // The shell completion set-up README shows adds the line it names.
    expect(readme).toContain('printf "$(chatctl autocomplete script bash)" >> ~/.bashrc');
    expect(sh('chatctl autocomplete script bash').stdout).toMatch(/# chatctl autocomplete setup\s*$/);
    expect(readme.trimEnd().split('\n').length).toBeLessThan(350);
  }, 60_000);

  it('README Two commands: the main job runs in the foreground until it is ready; Ctrl-C stops it with exit 0 and leaves no JVM', async () => {
    const [mainJob, testJob] = inSection('Two commands', 'sh').map(shCommands);
    // The install steps ran in beforeAll, as their equivalents; the rest of the line runs as written.
    const [install, link, ...rest] = (mainJob?.[0] ?? '').split(' && ');
    expect([install, link]).toEqual(['npm ci', 'npm link --ignore-scripts']);
    expect(testJob).toEqual(['npm ci && npm test']);
    expect(JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')).scripts.test).toMatch(/vitest run/);

    const job = startJob(rest.join(' && '));
    foreground = job;
    await eventually(() => /Ctrl-C stops it/.test(job.output) || job.child.exitCode !== null, 90_000);
    expect(job.output).toMatch(/Ctrl-C stops it/);
    expect(job.output).toMatch(/REGION\s+AWS REGION\s+WEBSOCKET\s+HEALTH/);
    const running = statusJson();
    expect(running.running).toBe(true);
    const pids = [running.state?.pid ?? 0, running.state?.dynamodb.pid ?? 0];
    expect(pids.every(pidAlive)).toBe(true);

    // Ctrl-C: the terminal sends SIGINT to the foreground job's process group.
    process.kill(-(job.child.pid ?? 0), 'SIGINT');
    expect(await job.exited).toBe(0);
    expect(job.output).toMatch(/sandbox stopped/);
    expect(pids.filter(pidAlive)).toEqual([]);
    expect(sh('chatctl sandbox status').code).toBe(3);
  }, 150_000);

  it('README Quick start: doctor, sandbox up --detach; status, up and the sandbox env from any folder', () => {
    const [first] = inSection('Quick start', 'sh');
    const [doctor, detach] = shCommands(first as Block);
    expect(doctor).toMatch(/^chatctl doctor\b/);
    const checked = sh(doctor as string);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(cells(checked.stdout.split('\n').find((l) => l.startsWith('CHECK')) ?? '')).toEqual([
      'CHECK',
      'STATUS',
      'DETAIL',
    ]);

    expect(detach).toMatch(/^chatctl sandbox up --detach\b/);
    const up = sh(detach as string);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/seoul\s+ap-northeast-2\s+ws:\/\/127\.0\.0\.1:\d+\/prod/);

    // One sandbox per machine, found from any folder: a subfolder, a folder outside the repo.
    expect(readme).toMatch(/every other command\s+find it from any folder/);
    for (const cwd of [join(clone, 'docs'), root]) {
      const status = sh('chatctl sandbox status', { cwd });
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^running {2}pid \d+/);
      const again = sh(detach as string, { cwd });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/already running with this topology \(started in /);
    }
    expect(statSync(join(home, '.local', 'state', 'chatctl', 'sandbox.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.local', 'state', 'chatctl')).mode & 0o777).toBe(0o700);
  }, 120_000);

  it('README Quick start: two chats, Alice in Seoul and Bob in Tokyo, in the same room', async () => {
    const [, chats] = inSection('Quick start', 'sh');
    const [alice, bob] = shCommands(chats as Block);
    expect(alice).toBe('chatctl chat --region seoul --room lobby --user alice');
    expect(bob).toBe('chatctl chat --region tokyo --room lobby --user bob');
    // Bob's terminal stays open while Alice types a line; then Bob ends his input (Ctrl-D).
    const bobJob = startJob(bob as string);
    await eventually(
      () => /joined lobby as bob/.test(bobJob.output) || bobJob.child.exitCode !== null,
      30_000,
    );
    expect(bobJob.output).toMatch(/joined lobby as bob/);
    const aliceRun = sh(alice as string, { input: 'hello from alice\n' });
    expect(aliceRun.code, aliceRun.stderr).toBe(0);
    expect(aliceRun.stdout).toMatch(/\[seoul\] alice: hello from alice/);
    await eventually(() => /\[seoul\] alice: hello from alice/.test(bobJob.output), 30_000);
    bobJob.child.stdin?.end();
    expect(await bobJob.exited).toBe(0);
  }, 90_000);

  it('README Quick start: a fault, health (the table README shows), chat by DNS, heal', () => {
    const [faultBlock] = inSection('Quick start', '');
    const steps = transcript(faultBlock as Block);
    expect(steps.map((s) => s.command.split('#')[0]?.trim())).toEqual([
      'chatctl sandbox fault seoul gateway-down',
      'chatctl health',
      'chatctl chat --via dns --from seoul --room lobby --user alice',
      'chatctl sandbox heal seoul',
    ]);
    const [fault, health, dns, heal] = steps as [
      (typeof steps)[0],
      (typeof steps)[0],
      (typeof steps)[0],
      (typeof steps)[0],
    ];
    expect(sh(fault.command).code).toBe(0);

    const checked = sh(health.command);
    expect(checked.code, checked.stderr).toBe(2); // a region down: critical
    const shownRows = health.shown.filter((l) => l.trim() && l !== '...');
    const printedRows = checked.stdout.split('\n');
    const header = printedRows.find((l) => l.startsWith('REGION'));
    expect(cells(shownRows[0] ?? '')).toEqual(cells(header ?? ''));
    for (const row of shownRows.slice(1)) {
      const key = row.split(' ')[0];
      const printed = printedRows.find((l) => l.startsWith(`${key} `)) ?? '';
      expect(cells(row).length, row).toBe(cells(printed).length);
      expect(cells(row)[0]).toBe(cells(printed)[0]);
    }
    // The faulty region's STATUS as README shows it (the others' depends on this machine's load).
    const seoulRow = (rows: readonly string[]) => cells(rows.find((l) => l.startsWith('seoul ')) ?? '')[1];
    expect(seoulRow(printedRows)).toBe(seoulRow(shownRows));

    // The record leaves DNS once the region's judges (canary alarms) see it fail: seconds on the sandbox.
    let viaDns = sh(dns.command);
    for (const deadline = Date.now() + 90_000; viaDns.code !== 0 && Date.now() < deadline; )
      viaDns = sh(dns.command);
    expect(viaDns.code, viaDns.stderr).toBe(0);
    expect(viaDns.stdout).toMatch(/latency DNS for users in seoul/);
    expect(sh(heal.command).code).toBe(0);
  }, 200_000);

  it('README Quick start: health is ok again after the heal, a failover drill (the summary README shows), sandbox down', async () => {
    // README: after the heal, `chatctl health` exits 0 again once seoul is back in DNS.
    expect(readme).toMatch(/`chatctl health` exits 0 again/);
    let health = sh('chatctl health');
    await eventually(
      () => {
        health = sh('chatctl health');
        return health.code === 0;
      },
      120_000,
      2000,
    ).catch(() => {
      throw new Error(`chatctl health did not exit 0 after the heal:\n${health.stdout}${health.stderr}`);
    });

    const [, drillBlock] = inSection('Quick start', '');
    const [drill, down] = transcript(drillBlock as Block);
    expect(drill?.command).toBe('chatctl drill failover tokyo --hold 2s');
    const run = sh(drill?.command as string, { timeoutMs: 150_000 });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // The summary: the verdict line, then the same labelled lines as README's.
    const summary = (lines: readonly string[]) => {
      const from = lines.findIndex((l) => /^Drill \S+: [A-Z]+/.test(l));
      const rest = lines.slice(from + 1).filter((l) => /^ {2}\S/.test(l));
      return [lines[from]?.replace(/^Drill \S+:/, 'Drill:'), ...rest.map((l) => l.trim().split(':')[0])];
    };
    expect(summary(run.stdout.split('\n'))).toEqual(summary(drill?.shown ?? []));

    expect(down?.command.split('#')[0]?.trim()).toBe('chatctl sandbox down');
    const running = statusJson();
    const stopped = sh(down?.command as string);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect([running.state?.pid, running.state?.dynamodb.pid].filter((pid) => pid && pidAlive(pid))).toEqual(
      [],
    );
    const after = sh('chatctl sandbox status');
    expect(after.code).toBe(3);
    expect(after.stdout).toMatch(/not running/);
  }, 300_000);
});
