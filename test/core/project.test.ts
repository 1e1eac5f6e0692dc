import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseDuration } from '../../core/duration.js';
import { chatctlHome, locateTopology } from '../../core/project.js';

let root: string;
let deep: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'chatctl-project-'));
  deep = join(root, 'a', 'b');
  await mkdir(deep, { recursive: true });
});

describe('core/project', () => {
  it('locateTopology: finds chatctl.json in the nearest parent, as cdk and wrangler do', async () => {
    await writeFile(join(root, 'chatctl.json'), '{}');
    expect(locateTopology(undefined, { cwd: deep, env: {} })).toEqual({
      path: join(root, 'chatctl.json'),
      explicit: false,
      exists: true,
    });
    await writeFile(join(root, 'a', 'chatctl.json'), '{}');
    expect(locateTopology(undefined, { cwd: deep, env: {} }).path).toBe(join(root, 'a', 'chatctl.json'));
  });

  it('locateTopology: none found means this folder, not existing (the defaults apply)', () => {
    expect(locateTopology(undefined, { cwd: deep, env: {} })).toEqual({
      path: join(deep, 'chatctl.json'),
      explicit: false,
      exists: false,
    });
  });

  it('locateTopology: --config, then CHATCTL_CONFIG, is explicit and never looked up', async () => {
    await writeFile(join(root, 'chatctl.json'), '{}');
    expect(locateTopology('other.json', { cwd: deep, env: { CHATCTL_CONFIG: 'env.json' } })).toEqual({
      path: join(deep, 'other.json'),
      explicit: true,
      exists: false,
    });
    expect(locateTopology(undefined, { cwd: deep, env: { CHATCTL_CONFIG: '../../chatctl.json' } })).toEqual({
      path: join(root, 'chatctl.json'),
      explicit: true,
      exists: true,
    });
  });

  it("chatctlHome: one folder per user whatever the working folder: CHATCTL_HOME, else XDG's state folder, else ~/.local/state", () => {
    expect(chatctlHome({ CHATCTL_HOME: join(root, 'h') })).toBe(join(root, 'h'));
    expect(chatctlHome({ XDG_STATE_HOME: join(root, 'xdg') })).toBe(join(root, 'xdg', 'chatctl'));
    expect(chatctlHome({})).toBe(join(homedir(), '.local', 'state', 'chatctl'));
  });
});

describe('core/duration', () => {
  it('parseDuration: units, and a bare number in the given unit', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('30')).toBe(30_000);
    expect(parseDuration('2000', 'ms')).toBe(2000);
    expect(() => parseDuration('forever')).toThrow(/not a duration/);
    expect(() => parseDuration('30x')).toThrow(/not a duration/);
  });
});
