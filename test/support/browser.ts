/**
 * A real headless Chromium for the console's tests: the system's `chromium` (Debian's package), driven by
 * playwright-core, which never downloads a browser. Where it is missing, the first browser test installs
 * Debian's package as .ci/run does (apt-get, through sudo when not root) and says so, so `npm ci && npm test`
 * needs only Node and Java. One launch per test file.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium package puts its launcher here. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** CHATCTL_CHROMIUM, else Debian's path, else `chromium` on PATH. */
export function findChromium(
  env: NodeJS.ProcessEnv = process.env,
  debianPath = DEBIAN_CHROMIUM,
): string | undefined {
  if (env.CHATCTL_CHROMIUM) return env.CHATCTL_CHROMIUM;
  const onPath = (env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'chromium'));
  return [debianPath, ...onPath].find(executable);
}

/** The commands .ci/run installs Chromium with: apt-get, through sudo (never asking) when not root. */
export function chromiumInstallCommands(uid: number): string[][] {
  const sudo = uid === 0 ? [] : ['sudo', '-n'];
  return [
    [...sudo, 'apt-get', 'update', '-qq'],
    [...sudo, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-qq', 'chromium'],
  ];
}

export interface EnsureChromiumOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Where the package puts it (a test points this elsewhere). */
  readonly debianPath?: string;
  readonly commands?: string[][];
  /** One install at a time across test files running at once (apt-get holds a lock of its own). */
  readonly lockDir?: string;
  readonly say?: (line: string) => void;
}

/** The Chromium to drive, installing Debian's package first when there is none; a clear error otherwise. */
export function ensureChromium(options: EnsureChromiumOptions = {}): string {
  const env = options.env ?? process.env;
  const found = findChromium(env, options.debianPath);
  if (found) return found;
  const lockDir = options.lockDir ?? join(tmpdir(), 'chatctl-chromium-install.lock');
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const commands = options.commands ?? chromiumInstallCommands(process.getuid?.() ?? 0);
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch {
      // Another test file installs it: wait for that, then look again.
      if (Date.now() > deadline) throw new Error(`a Chromium install holds ${lockDir}; remove it if stale`);
      spawnSync('sleep', ['1']);
      const now = findChromium(env, options.debianPath);
      if (now) return now;
    }
  }
  try {
    const again = findChromium(env, options.debianPath);
    if (again) return again;
    say(
      `Chromium not found: installing Debian's chromium for the browser tests (${commands.map((c) => c.join(' ')).join('; ')})`,
    );
    for (const command of commands) {
      const [file, ...args] = command as [string, ...string[]];
      const run = spawnSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
      if (run.status !== 0) {
        throw new Error(
          `the console's browser tests need Chromium, and \`${command.join(' ')}\` failed (${run.error?.message ?? run.stderr.trim()}): install Debian's chromium package, or set CHATCTL_CHROMIUM to a Chromium executable`,
        );
      }
    }
    const installed = findChromium(env, options.debianPath);
    if (!installed)
      throw new Error(
        `installed chromium, but found no executable at ${options.debianPath ?? DEBIAN_CHROMIUM}`,
      );
    say(`installed ${installed}`);
    return installed;
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

export async function launchBrowser(): Promise<TestBrowser> {
  const executablePath = ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'chatctl-chromium-'));
  // A persistent context is how playwright takes a fresh --user-data-dir (it refuses the flag in args).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    chromiumSandbox: false,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
