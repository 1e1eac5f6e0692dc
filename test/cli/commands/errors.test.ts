// One bad input per command, run as a process in a folder with no chatctl.json and no sandbox: every error is
// said in one style (Error: ..., Hint: ...) and exits with its code from docs/exit-codes.md.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

/** Each command of the manifest, a bad input for it, and the exit code and words its error must have. */
const BAD_INPUT: Record<string, { args: string[]; code: number; says: RegExp }> = {
  'analytics:daily': { args: ['analytics', 'daily', '--bogus'], code: 2, says: /unknown flag: --bogus/ },
  'analytics:query': {
    args: ['analytics', 'query', 'SELECT 1', '--bogus'],
    code: 2,
    says: /unknown flag: --bogus/,
  },
  capacity: { args: ['capacity', '--connections', 'lots'], code: 2, says: /--connections/ },
  chat: { args: ['chat', '--user', 'alice', '--region', 'tokio'], code: 2, says: /did you mean tokyo/ },
  deploy: { args: ['deploy', '--region', 'ap-northeast-9'], code: 2, says: /no region "ap-northeast-9"/ },
  diff: { args: ['diff', '--region', 'tokio'], code: 2, says: /did you mean tokyo/ },
  doctor: { args: ['doctor', 'extra'], code: 2, says: /unexpected argument.*extra/ },
  drain: { args: ['drain'], code: 2, says: /missing argument: KEY/ },
  health: { args: ['health', '--region', 'tokio'], code: 2, says: /did you mean tokyo/ },
  init: { args: ['init', '--awz'], code: 2, says: /did you mean --aws/ },
  restore: { args: ['restore', 'tokio'], code: 2, says: /did you mean tokyo/ },
  synth: { args: ['synth', '--outt', 'x'], code: 2, says: /did you mean --out/ },
  token: {
    args: ['token', '--user', 'alice', '--ttl', '30x'],
    code: 2,
    says: /--ttl: "30x" is not a duration/,
  },
  version: { args: ['version', 'extra'], code: 2, says: /unexpected argument/ },
  'china:origin': { args: ['china', 'origin', 'tokio'], code: 2, says: /did you mean tokyo/ },
  'china:status': {
    args: ['china', 'status', '--target', 'awz'],
    code: 2,
    says: /did you mean --target aws/,
  },
  'china:test': { args: ['china', 'test', '--bogus'], code: 2, says: /unknown flag: --bogus/ },
  'drill:abort': { args: ['drill', 'abort', '--id'], code: 2, says: /--id needs a value/ },
  'drill:failover': { args: ['drill', 'failover', 'tokio'], code: 2, says: /did you mean tokyo/ },
  'drill:status': { args: ['drill', 'status', 'extra'], code: 2, says: /unexpected argument/ },
  'drill:surge': { args: ['drill', 'surge', 'na', '--duration', 'forever'], code: 2, says: /not a duration/ },
  'region:add': {
    args: ['region', 'add', 'Paris', '--aws-region', 'eu-west-3'],
    code: 2,
    says: /not a region key/,
  },
  'region:list': {
    args: ['region', 'list', '--target', 'mars'],
    code: 2,
    says: /is not one of: sandbox, aws/,
  },
  'region:remove': { args: ['region', 'remove', 'tokio'], code: 2, says: /did you mean tokyo/ },
  'relay:test': {
    args: ['relay', 'test', '--from', 'seoul'],
    code: 2,
    says: /missing the required flag --to/,
  },
  'replication:check': {
    args: ['replication', 'check', '--timeout', 'abc'],
    code: 2,
    says: /not a duration/,
  },
  'sandbox:restart': { args: ['sandbox', 'restart', '--bogus'], code: 2, says: /unknown flag: --bogus/ },
  'events:tail': { args: ['events', 'tail', '--bogus'], code: 2, says: /unknown flag: --bogus/ },
  'sandbox:down': { args: ['sandbox', 'down', 'extra'], code: 2, says: /unexpected argument/ },
  'sandbox:env': { args: ['sandbox', 'env', '--shell', 'fissh'], code: 2, says: /did you mean --shell fish/ },
  'sandbox:fault': {
    args: ['sandbox', 'fault', 'tokyo', 'gateway_down'],
    code: 2,
    says: /did you mean gateway-down/,
  },
  'sandbox:heal': { args: ['sandbox', 'heal', 'tokyo', 'latncy'], code: 2, says: /did you mean latency/ },
  'sandbox:logs': { args: ['sandbox', 'logs', '--lines', 'many'], code: 2, says: /--lines/ },
  'sandbox:status': { args: ['sandbox', 'status', '--bogus'], code: 2, says: /unknown flag/ },
  'sandbox:up': { args: ['sandbox', 'up', '--port', 'abc'], code: 2, says: /--port/ },
  'traffic:auto': { args: ['traffic', 'auto', 'onn'], code: 2, says: /did you mean on\b/ },
  'traffic:level': { args: ['traffic', 'level', '7'], code: 2, says: /not a load level/ },
  'traffic:status': { args: ['traffic', 'status', '--region', 'tokio'], code: 2, says: /did you mean tokyo/ },
};

let cwd: string;
let codes: Set<number>;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'chatctl-errors-'));
  const table = await readFile('docs/exit-codes.md', 'utf8');
  codes = new Set([...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1])));
});

/** `run` over `items`, `size` at a time (each a CLI process: a few at once, not all on two cores). */
async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size)
    results.push(...(await Promise.all(items.slice(i, i + size).map(run))));
  return results;
}

/** stderr is the one note on the default topology at most, then Error: and Hint:, nothing else. */
function expectOneStyle(stderr: string): void {
  const lines = stderr.split('\n').filter((line) => line !== '' && !/built-in default topology/.test(line));
  expect(lines, stderr).toHaveLength(2);
  expect(lines[0]).toMatch(/^Error: \S/);
  expect(lines[1]).toMatch(/^Hint: \S/);
  expect(stderr).not.toMatch(/›|See more help|Parsing --|USAGE/);
}

describe('cli: one error style and one exit-code table', () => {
  it('every command of the manifest has a bad input here', async () => {
    const manifest = JSON.parse(await readFile('oclif.manifest.json', 'utf8')) as { commands: object };
    expect(Object.keys(manifest.commands).sort()).toEqual(Object.keys(BAD_INPUT).sort());
  });

  it('every command: a bad input is Error/Hint with its code from the table', {
    timeout: 300_000,
  }, async () => {
    const entries = Object.entries(BAD_INPUT);
    const results = await inBatches(entries, 4, ([, bad]) => runCli(bad.args, { cwd }));
    entries.forEach(([id, bad], index) => {
      const result = results[index];
      expect(codes.has(result.code ?? -1), id).toBe(true);
      expect(result.code, `${id}: ${result.stderr}`).toBe(bad.code);
      expectOneStyle(result.stderr);
      expect(result.stderr, id).toMatch(bad.says);
      expect(result.stdout, id).toBe('');
    });
  });

  it('unknown commands: aliases and edit distance lead to the command meant, exit 2', {
    timeout: 120_000,
  }, async () => {
    const cases = [
      [['sandbox', 'stpo'], 'chatctl sandbox stop'],
      [['logs'], 'chatctl sandbox logs'],
      [['status'], 'chatctl sandbox status'],
      [['up'], 'chatctl sandbox up'],
      [['down'], 'chatctl sandbox down'],
      [['stop'], 'chatctl sandbox stop'],
      [['restart'], 'chatctl sandbox restart'],
      [['region', 'rm', 'paris'], 'chatctl region remove paris'],
      [['region', 'ls'], 'chatctl region list'],
    ] as const;
    const results = await inBatches(cases, 4, ([typed]) => runCli(typed, { cwd }));
    cases.forEach(([, meant], index) => {
      expect(results[index].code, results[index].stderr).toBe(2);
      expectOneStyle(results[index].stderr);
      expect(results[index].stderr).toContain(`Hint: did you mean: ${meant}\n`);
    });
  });

  it("a plugin's command and a bad command line are said the same way", { timeout: 60_000 }, async () => {
    for (const args of [['autocomplete', 'fsh'], ['help', 'nonexist'], ['--bogus']]) {
      const result = await runCli(args, { cwd });
      expect(result.code, result.stderr).toBe(2);
      expectOneStyle(result.stderr);
    }
  });

  it('a bad region code and a bad key exit alike; an AWS region code names its region', {
    timeout: 60_000,
  }, async () => {
    const code = await runCli(['health', '--region', 'ap-southeast-2'], { cwd });
    const key = await runCli(['health', '--region', 'sydney'], { cwd });
    expect(code.code).toBe(2);
    expect(key.code).toBe(2);
    // ap-northeast-1 is tokyo's code: accepted, so the command goes on to ask the sandbox (none runs here).
    const tokyo = await runCli(['health', '--region', 'ap-northeast-1'], { cwd });
    expect(tokyo.stderr).not.toMatch(/no region/);
    expect(tokyo.stderr).toMatch(/sandbox is not running/);
  });

  it('with --json an error is one JSON object on stdout, parse errors included', async () => {
    const result = await runCli(['region', 'list', '--json', '--target', 'mars'], { cwd });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stdout)).toEqual({
      error: { kind: 'usage', message: expect.stringMatching(/--target "mars"/), hint: expect.any(String) },
    });
  });

  it('version and --version print the same line', { timeout: 60_000 }, async () => {
    const word = await runCli(['version'], { cwd });
    const flag = await runCli(['--version'], { cwd });
    expect(word.code).toBe(0);
    expect(word.stdout).toMatch(/^chatctl\/\d+\.\d+\.\d+ /);
    expect(word.stdout).toBe(flag.stdout);
  });
});
