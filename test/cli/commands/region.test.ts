// Runs the built CLI (`npm test` builds first) as a user would, in a fresh folder.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';

const bin = resolve('bin/run.js');
let cwd: string;

function chatctl(...args: string[]) {
  return chatctlWith({}, ...args);
}

function chatctlWith(extra: NodeJS.ProcessEnv, ...args: string[]) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    CHATCTL_HOME: join(cwd, '.chatctl'),
    ...extra,
  };
  delete env.CHATCTL_CONFIG;
  const result = spawnSync('node', [bin, ...args], { cwd, encoding: 'utf8', env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'chatctl-cli-'));
});

describe('cli region commands', () => {
  it('init: writes the default topology and refuses to overwrite without --force', async () => {
    const first = chatctl('init');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/wrote .*chatctl\.json \(target sandbox\)/);
    const written = JSON.parse(await readFile(join(cwd, 'chatctl.json'), 'utf8'));
    expect(written.target).toBe('sandbox');
    const second = chatctl('init', '--aws');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/already exists/);
    expect(second.stderr).toMatch(/--force/);
    const forced = chatctl('init', '--aws', '--force', '--json');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout).topology.target).toBe('aws');
  });

  it('region list: prints one row per region with roles, and typed JSON with --json', () => {
    chatctl('init');
    const human = chatctl('region', 'list');
    expect(human.code).toBe(0);
    // The default China origin follows DNS: no region carries the china-origin role until one is pinned.
    expect(human.stdout).toMatch(/seoul\s+ap-northeast-2\s+211\.45\.0\.0\/24\s+home *$/m);
    expect(human.stdout).toMatch(/na\s+us-west-2/);
    const json = chatctl('region', 'list', '--json');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { regions: { key: string; roles: string[] }[] };
    expect(parsed.regions.map((r) => r.key)).toEqual(['seoul', 'tokyo', 'na']);
    expect(parsed.regions[0].roles).toEqual(['home']);
  });

  it('region add: adds a valid region; a duplicate is a user error (exit 1) and the file is unchanged', async () => {
    chatctl('init');
    const added = chatctl(
      'region',
      'add',
      'sydney',
      '--aws-region',
      'ap-southeast-2',
      '--no-deploy',
      '--json',
    );
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout).added).toEqual({
      key: 'sydney',
      awsRegion: 'ap-southeast-2',
      probeSubnet: '1.120.0.0/24',
    });
    const before = await readFile(join(cwd, 'chatctl.json'), 'utf8');
    const dupKey = chatctl('region', 'add', 'sydney', '--aws-region', 'eu-west-1', '--no-deploy');
    expect(dupKey.code).toBe(1);
    expect(dupKey.stderr).toMatch(/region "sydney" already exists/);
    const dupCode = chatctl(
      'region',
      'add',
      'syd2',
      '--aws-region',
      'ap-southeast-2',
      '--no-deploy',
      '--json',
    );
    expect(dupCode.code).toBe(1);
    expect(JSON.parse(dupCode.stdout).error.message).toMatch(/already in the topology as "sydney"/);
    const bogus = chatctl('region', 'add', 'moon', '--aws-region', 'us-moon-1', '--no-deploy');
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toMatch(/not an AWS commercial region code/);
    expect(await readFile(join(cwd, 'chatctl.json'), 'utf8')).toBe(before);
  });

  it('region remove: refuses the home region and a pinned China origin, removes another', async () => {
    chatctl('init');
    const home = chatctl('region', 'remove', 'seoul');
    expect(home.code).toBe(1);
    expect(home.stderr).toMatch(/home region/);
    const file = join(cwd, 'chatctl.json');
    const pinned = JSON.parse(await readFile(file, 'utf8'));
    pinned.china = { enabled: true, originRegion: 'tokyo' };
    await writeFile(file, JSON.stringify(pinned));
    const origin = chatctl('region', 'remove', 'tokyo');
    expect(origin.code).toBe(1);
    expect(origin.stderr).toMatch(/"tokyo" is the China proxy's origin \(pinned to it\)/);
    expect(origin.stderr).toMatch(/chatctl china origin global/);
    const removed = chatctl('region', 'remove', 'na', '--json');
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout).regions).toEqual(['seoul', 'tokyo']);
  });

  it('region commands: a bad flag exits 2 and an invalid chatctl.json names the field', async () => {
    chatctl('init');
    expect(chatctl('region', 'list', '--bogus').code).toBe(2);
    expect(chatctl('region', 'add', 'x1').code).toBe(2);
    await writeFile(join(cwd, 'chatctl.json'), JSON.stringify({ app: 'chat' }));
    const invalid = chatctl('region', 'list');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/chatctl\.json is not a valid topology/);
    expect(invalid.stderr).toMatch(/regions: is required/);
  });

  it('cli: an unexpected error prints a short message, and the stack only with --debug', async () => {
    await writeFile(join(cwd, 'chatctl.json'), '{}');
    // A directory where the topology file should be makes reading it fail with EISDIR: not a user error.
    const dir = await mkdtemp(join(tmpdir(), 'chatctl-dir-'));
    const plain = chatctl('region', 'list', '--config', dir);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/Error: unexpected error: EISDIR/);
    expect(plain.stderr).not.toMatch(/ {4}at /);
    const debug = chatctl('region', 'list', '--config', dir, '--debug');
    expect(debug.stderr).toMatch(/ {4}at /);
  });

  it('region add: with target aws and no credentials, keeps the region in chatctl.json and says how to deploy', async () => {
    chatctl('init', '--aws');
    const empty = join(cwd, 'empty');
    await writeFile(empty, '');
    const noCredentials: NodeJS.ProcessEnv = {
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_CONFIG_FILE: empty,
      AWS_SHARED_CREDENTIALS_FILE: empty,
      AWS_EC2_METADATA_DISABLED: 'true',
      CHATCTL_DEV_TOKEN_SECRET: 'a-test-secret-of-some-length',
    };
    const result = chatctlWith(
      noCredentials,
      'region',
      'add',
      'sydney',
      '--aws-region',
      'ap-southeast-2',
      '--yes',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/sydney was added to chatctl\.json, but it was not deployed/);
    expect(result.stderr).toMatch(/credentials/i);
    expect(result.stderr).toMatch(/run: chatctl deploy/);
    const topology = JSON.parse(await readFile(join(cwd, 'chatctl.json'), 'utf8'));
    expect(topology.regions.map((r: { key: string }) => r.key)).toContain('sydney');
  });

  it('cli: without chatctl.json, commands run on the default topology against the sandbox, but AWS needs the file', () => {
    const defaults = chatctl('region', 'list', '--json');
    expect(defaults.code).toBe(0);
    expect(JSON.parse(defaults.stdout).regions.map((r: { key: string }) => r.key)).toEqual([
      'seoul',
      'tokyo',
      'na',
    ]);
    const aws = chatctl('region', 'list', '--target', 'aws');
    expect(aws.code).toBe(1);
    expect(aws.stderr).toMatch(/no topology at .*AWS needs your account/);
    expect(aws.stderr).toMatch(/chatctl init --aws/);
  });
});
