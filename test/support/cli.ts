// Runs the built CLI (`npm test` builds first) as its own process, as a user would.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const bin = resolve('bin/run.js');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface CliOptions {
  readonly cwd: string;
  /**
   * Added to (or, when undefined, removed from) the environment. CHATCTL_HOME defaults to `cwd`/.chatctl:
   * each test folder has a sandbox of its own, never the machine's or another test's.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly input?: string;
  readonly timeoutMs?: number;
  /** The script node runs (default bin/run.js), e.g. a link named chatctl as npm link and npx make. */
  readonly script?: string;
}

export function runCli(args: readonly string[], options: CliOptions): Promise<CliRun> {
  // Not the npm_* of the npx or npm run that started vitest: they say how chatctl was run (cli/output.ts).
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    CHATCTL_CONFIG: undefined,
    CHATCTL_HOME: join(options.cwd, '.chatctl'),
    npm_lifecycle_event: undefined,
    npm_command: undefined,
  };
  for (const [key, value] of Object.entries(options.env ?? {})) env[key] = value;
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [options.script ?? bin, ...args], { cwd: options.cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin.end(options.input ?? '');
  });
}
