/**
 * Where a chatctl project is: the folder whose `chatctl.json` (or running sandbox) a command acts on.
 * Like cdk and wrangler, a command run in a subfolder finds the project in the nearest parent.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const TOPOLOGY_FILE = 'chatctl.json';
/** The folder beside chatctl.json that holds the sandbox's state, its log and the drill journals. */
export const STATE_DIR = '.chatctl';

/** The nearest folder, from `cwd` up, that holds `marker`; undefined at the file system's root. */
function findUp(marker: string, cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, marker))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The project folder: the nearest one (from `cwd` up) with a chatctl.json or a sandbox's state; `cwd`
 * itself when there is none, so that a first `sandbox up` with the built-in defaults keeps its state here.
 */
export function projectDir(cwd = process.cwd()): string {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, TOPOLOGY_FILE)) || existsSync(join(dir, STATE_DIR, 'sandbox.json'))) return dir;
    if (dirname(dir) === dir) return resolve(cwd);
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
