import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chromiumInstallCommands, ensureChromium, findChromium } from './browser.js';

const dir = mkdtempSync(join(tmpdir(), 'chatctl-browser-'));
const emptyPath = join(dir, 'empty-bin');
mkdirSync(emptyPath);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('test browser', () => {
  it('chromiumInstallCommands: apt-get as .ci/run runs it, through sudo that never asks when not root', () => {
    expect(chromiumInstallCommands(0)).toEqual([
      ['apt-get', 'update', '-qq'],
      ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-qq', 'chromium'],
    ]);
    expect(chromiumInstallCommands(1000).every((c) => c[0] === 'sudo' && c[1] === '-n')).toBe(true);
  });

  it('ensureChromium: with no Chromium it runs the install, says so, and returns what was installed', () => {
    const debianPath = join(dir, 'chromium');
    const said: string[] = [];
    const options = {
      env: { PATH: emptyPath },
      debianPath,
      lockDir: join(dir, 'lock'),
      say: (l: string) => said.push(l),
    };
    expect(findChromium(options.env, debianPath)).toBeUndefined();
    const path = ensureChromium({
      ...options,
      commands: [['sh', '-c', `printf '#!/bin/sh\\n' > ${debianPath} && chmod +x ${debianPath}`]],
    });
    expect(path).toBe(debianPath);
    expect(said[0]).toMatch(/^Chromium not found: installing Debian's chromium/);
    // Found now: nothing is installed again.
    expect(ensureChromium({ ...options, commands: [['false']] })).toBe(debianPath);
  });

  it('ensureChromium: an install that fails is an error that says what to do', () => {
    expect(() =>
      ensureChromium({
        env: { PATH: emptyPath },
        debianPath: join(dir, 'absent'),
        lockDir: join(dir, 'lock2'),
        commands: [['false']],
        say: () => {},
      }),
    ).toThrow(/`false` failed .*install Debian's chromium package, or set CHATCTL_CHROMIUM/);
  });
});
