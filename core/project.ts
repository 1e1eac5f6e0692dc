/**
 * Where a command's files are: the project's `chatctl.json` (like cdk and wrangler, a command run in a
 * subfolder finds it in the nearest parent), and the per-user folder of this machine's one sandbox (like
 * LocalStack's, found from any folder).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const TOPOLOGY_FILE = 'chatctl.json';

/** Names the folder of the sandbox's state instead: a second, separate sandbox (the tests give each its own). */
export const HOME_ENV = 'CHATCTL_HOME';

/**
 * The folder of this user's sandbox (sandbox.json with its secret, its log, its data) and the drill
 * journals: CHATCTL_HOME, else $XDG_STATE_HOME/chatctl, else ~/.local/state/chatctl (XDG's default).
 */
export function chatctlHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env[HOME_ENV]) return resolve(env[HOME_ENV]);
  const base = env.XDG_STATE_HOME ? resolve(env.XDG_STATE_HOME) : join(homedir(), '.local', 'state');
  return join(base, 'chatctl');
}

/** The nearest folder, from `cwd` up, that holds `marker`; undefined at the file system's root. */
function findUp(marker: string, cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, marker))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

export interface TopologyLocation {
  /** The absolute path of the topology file (where it is, or where `chatctl init` would write it). */
  readonly path: string;
  /** Named by --config or CHATCTL_CONFIG: then a missing file is an error, not the defaults. */
  readonly explicit: boolean;
  readonly exists: boolean;
}

/** --config, then CHATCTL_CONFIG, then chatctl.json in `cwd` or its nearest parent that has one. */
export function locateTopology(
  configFlag?: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): TopologyLocation {
  const cwd = options.cwd ?? process.cwd();
  const named = configFlag || (options.env ?? process.env).CHATCTL_CONFIG;
  if (named) {
    const path = resolve(cwd, named);
    return { path, explicit: true, exists: existsSync(path) };
  }
  const found = findUp(TOPOLOGY_FILE, cwd);
  return found
    ? { path: join(found, TOPOLOGY_FILE), explicit: false, exists: true }
    : { path: resolve(cwd, TOPOLOGY_FILE), explicit: false, exists: false };
}
