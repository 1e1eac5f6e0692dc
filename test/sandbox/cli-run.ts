/** Running the built CLI as a separate process in a folder of its own, as a user would (npm test builds first). */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const bin = resolve('bin/run.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A `chatctl ...args` runner in `cwd`, with the sandbox's state in `home` (CHATCTL_HOME; default
 * `cwd`/.chatctl: each test folder has a sandbox of its own, never the machine's or another test's).
 */
export function chatctlIn(cwd: string, home = join(cwd, '.chatctl')): (...args: string[]) => CliResult {
  return (...args) => {
    const result = spawnSync(process.execPath, [bin, ...args], {
      cwd,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        ...process.env,
        NO_COLOR: '1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        CHATCTL_HOME: home,
      },
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
}

export { pidAlive as alive } from '../../core/process.js';
