// What a new user meets first, run as processes in fresh folders: no Java, the config lookup, exit codes
// and flags, and the hints. (Issue: "The first hour with chatctl".)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { bin, runCli } from '../../support/cli.js';

// Every test spawns the CLI, most several times: each describe has a timeout that holds on a loaded machine.
let cwd: string;
const run = (args: string[], env?: Record<string, string | undefined>, input?: string) =>
  runCli(args, { cwd, env, input });

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'chatctl-first-'));
});

/** A PATH with node and nothing else: no java, no package manager. */
async function pathWithoutJava(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'chatctl-nojava-'));
  await symlink(process.execPath, join(dir, 'node'));
  return dir;
}

describe('cli: no Java', { timeout: 180_000 }, () => {
  it('sandbox up and sandbox up --detach: exit 1 at once with the install line, nothing left behind', async () => {
    const PATH = await pathWithoutJava();
    for (const args of [
      ['sandbox', 'up', '--port', '0'],
      ['sandbox', 'up', '--detach', '--port', '0'],
    ]) {
      const result = await run(args, { PATH });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/Java is not installed/);
      expect(result.stderr).toMatch(/Hint: install it: \S+/);
      // It used to wait 90 s for an engine that could not start; CLI start-up takes seconds on a loaded machine.
      expect(result.ms).toBeLessThan(30_000);
    }
    expect(existsSync(join(cwd, '.chatctl', 'sandbox.json'))).toBe(false);
  });
});

describe('cli: config lookup', { timeout: 180_000 }, () => {
  it('region list from a subfolder reads the chatctl.json of the nearest parent', async () => {
    expect((await run(['init'])).code).toBe(0);
    const file = join(cwd, 'chatctl.json');
    const topology = JSON.parse(await readFile(file, 'utf8'));
    topology.regions.push({ key: 'sydney', awsRegion: 'ap-southeast-2', probeSubnet: '1.120.0.0/24' });
    await writeFile(file, JSON.stringify(topology));
    const sub = join(cwd, 'ops', 'drills');
    await mkdir(sub, { recursive: true });
    const list = await runCli(['region', 'list', '--json'], { cwd: sub });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).regions.map((r: { key: string }) => r.key)).toEqual([
      'seoul',
      'tokyo',
      'na',
      'sydney',
    ]);
    expect(list.stderr).not.toMatch(/default topology/);
  });

  it('--config or CHATCTL_CONFIG naming a missing file is an error, not the defaults', async () => {
    for (const [args, env] of [
      [['region', 'list', '--config', 'missing.json'], {}],
      [['region', 'list'], { CHATCTL_CONFIG: 'missing.json' }],
    ] as const) {
      const result = await run([...args], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/missing\.json does not exist/);
      expect(result.stdout).toBe('');
    }
  });

  it('with no chatctl.json anywhere up, a command says in one line that it uses the built-in defaults', async () => {
    const result = await run(['region', 'list']);
    expect(result.code).toBe(0);
    expect(result.stderr.match(/built-in default topology/g)).toHaveLength(1);
    expect(result.stderr).toMatch(/chatctl init/);
  });

  it("sandbox status from any folder finds the machine's sandbox.json (in its CHATCTL_HOME)", async () => {
    const sub = join(cwd, 'a', 'b');
    await mkdir(sub, { recursive: true });
    await mkdir(join(cwd, '.chatctl'));
    const exited = spawn(process.execPath, ['-e', '0']);
    const pid = await new Promise<number>((done) => exited.once('exit', () => done(exited.pid ?? 0)));
    await writeFile(
      join(cwd, '.chatctl', 'sandbox.json'),
      JSON.stringify({ pid, edge: 'http://127.0.0.1:9', regions: {}, dynamodb: { pid: 0 } }),
    );
    const status = await runCli(['sandbox', 'status'], {
      cwd: sub,
      env: { CHATCTL_HOME: join(cwd, '.chatctl') },
    });
    expect(status.stdout).toMatch(new RegExp(`sandbox.json names pid ${pid}, which has exited`));
    expect(status.code).toBe(3);
  });
});

describe('cli: exit codes and flags', { timeout: 180_000 }, () => {
  it('a bad flag value exits 2 everywhere, durations included', async () => {
    for (const args of [
      ['drill', 'failover', 'tokyo', '--hold', 'forever'],
      ['token', '--user', 'alice', '--ttl', '30x'],
      ['health', '--timeout', 'abc'],
      ['chat', '--user', 'a', '--timeout', '10 parsecs'],
      ['sandbox', 'fault'],
      ['region', 'list', '--target', 'mars'],
    ]) {
      const result = await run(args);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
    }
  });

  it('time flags take durations: --timeout 5s, --ttl 90m, --hold 500ms', async () => {
    const token = await run(['token', '--user', 'alice', '--ttl', '90m', '--json']);
    expect(token.code, token.stderr).toBe(0);
    expect(JSON.parse(token.stdout).ttlSeconds).toBe(5400);
    // Parsed, then the command runs (and says no sandbox runs): not a flag error.
    const health = await run(['health', '--timeout', '5s']);
    expect(health.code).toBe(3);
    expect(health.stderr).toMatch(/sandbox is not running/);
    const drill = await run(['drill', 'failover', 'tokyo', '--hold', '500ms', '--dry-run']);
    expect(drill.code).toBe(3);
    expect(drill.stderr).toMatch(/sandbox is not running/);
  });

  it('sandbox status exits 3 when nothing runs; drill abort with nothing to abort exits 0 and says so', async () => {
    const status = await run(['sandbox', 'status']);
    expect(status.code).toBe(3);
    expect(status.stdout).toMatch(/not running/);
    const json = await run(['sandbox', 'status', '--json']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ running: false });
    const abort = await run(['drill', 'abort']);
    expect(abort.code, abort.stderr).toBe(0);
    expect(abort.stdout).toMatch(/nothing to abort/);
  });

  it('--target aws on a sandbox-only command is refused with exit 2', async () => {
    for (const verb of ['status', 'down', 'up']) {
      const result = await run(['sandbox', verb, '--target', 'aws']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/acts on this machine's sandbox only/);
    }
  });

  it('did you mean: for a command and for a flag, with output piped', async () => {
    const command = await run(['sandbx', 'up']);
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/did you mean: chatctl sandbox up/);
    const flag = await run(['region', 'list', '--jsn']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--jsn \(did you mean --json\?\)/);
    const topicFlag = await run(['health', '--regoin', 'tokyo']);
    expect(topicFlag.stderr).toMatch(/did you mean --region\?/);
  });

  it('init writes $schema, pointing at the JSON Schema the build generated', async () => {
    expect((await run(['init'])).code).toBe(0);
    const written = JSON.parse(await readFile(join(cwd, 'chatctl.json'), 'utf8'));
    expect(Object.keys(written)[0]).toBe('$schema');
    const schema = JSON.parse(await readFile(join(cwd, written.$schema), 'utf8'));
    expect(schema.title).toMatch(/chatctl/);
    expect(schema.properties.regions.items.properties.awsRegion.enum).toContain('ap-northeast-2');
    // A file with $schema is a valid topology.
    expect((await run(['region', 'list'])).code).toBe(0);
  });
});

describe('cli: hints that are right', { timeout: 180_000 }, () => {
  it('region add Sydney: the argument is the mistake, not chatctl.json (which is left as it was)', async () => {
    expect((await run(['init'])).code).toBe(0);
    const before = await readFile(join(cwd, 'chatctl.json'), 'utf8');
    const result = await run(['region', 'add', 'Sydney', '--aws-region', 'ap-southeast-2', '--no-deploy']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/"Sydney" is not a region key: .*lowercase/);
    expect(result.stderr).toMatch(/Hint: try: chatctl region add sydney --aws-region ap-southeast-2/);
    expect(result.stderr).not.toMatch(/not a valid topology|init --force/);
    expect(await readFile(join(cwd, 'chatctl.json'), 'utf8')).toBe(before);
    const subnet = await run([
      'region',
      'add',
      'sydney',
      '--aws-region',
      'ap-southeast-2',
      '--probe-subnet',
      'x',
    ]);
    expect(subnet.code).toBe(2);
    expect(subnet.stderr).toMatch(/--probe-subnet "x" is not a client subnet/);
  });
});

describe('cli: hints in the form the user runs chatctl', { timeout: 180_000 }, () => {
  it('under npx the hints say npx chatctl; run directly they say chatctl', async () => {
    const direct = await run(['sandbox', 'status']);
    expect(direct.stdout).toMatch(/start it with: chatctl sandbox up --detach/);
    // npx runs the package's bin through a link named chatctl, with npm_lifecycle_event=npx.
    const link = join(cwd, 'chatctl');
    await symlink(bin, link);
    const npx = await runCli(['sandbox', 'status'], {
      cwd,
      script: link,
      env: { npm_lifecycle_event: 'npx' },
    });
    expect(npx.stdout).toMatch(/start it with: npx chatctl sandbox up --detach/);
    const typo = await runCli(['sandbox', 'stauts'], {
      cwd,
      script: link,
      env: { npm_lifecycle_event: 'npx' },
    });
    expect(typo.stderr).toMatch(/did you mean: npx chatctl sandbox status/);
    const error = await runCli(['health'], { cwd, script: link, env: { npm_lifecycle_event: 'npx' } });
    expect(error.stderr).toMatch(/Hint: start it with: npx chatctl sandbox up --detach/);
    const linked = await runCli(['sandbox', 'status'], { cwd, script: link });
    expect(linked.stdout).toMatch(/start it with: chatctl sandbox up/);
  });
});
