/** Human output helpers: colours (off for NO_COLOR and non-TTY), status words and plain tables. */
import { homedir } from 'node:os';
import { isAbsolute, relative, sep } from 'node:path';
import chalk, { type ChalkInstance } from 'chalk';

if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') chalk.level = 0;

export const color: ChalkInstance = chalk;

export type Status = 'ok' | 'warn' | 'fail' | 'skip';

export function statusWord(status: Status, text: string = status): string {
  switch (status) {
    case 'ok':
      return chalk.green(text);
    case 'warn':
      return chalk.yellow(text);
    case 'fail':
      return chalk.red(text);
    default:
      return chalk.dim(text);
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colour codes to measure width
const ANSI = /\u001b\[[0-9;]*m/g;

function visibleWidth(text: string): number {
  return text.replace(ANSI, '').length;
}

/** Renders rows as aligned columns; the first row is the header (dimmed). */
export function table(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => visibleWidth(row[col] ?? ''))));
  return rows
    .map((row, index) => {
      const line = row
        .map((cell, col) =>
          col === row.length - 1 ? cell : cell + ' '.repeat(widths[col] - visibleWidth(cell)),
        )
        .join('  ')
        .trimEnd();
      return index === 0 ? chalk.dim(line) : line;
    })
    .join('\n');
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || Number.isNaN(ms)) return '-';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * How the user runs chatctl, so that every hint they are shown can be pasted as it is: `chatctl` when it is on
 * PATH (npm link) or run as bin/run.js, `npx chatctl` under npx, `npm run chatctl --` under npm run.
 */
export function invokedAs(env: NodeJS.ProcessEnv = process.env, script = process.argv[1] ?? ''): string {
  if (env.npm_lifecycle_event === 'npx' && /[\\/]chatctl$/.test(script)) return 'npx chatctl';
  if (env.npm_lifecycle_event === 'chatctl' && env.npm_command === 'run-script') return 'npm run chatctl --';
  return 'chatctl';
}

const INVOKED_AS = invokedAs();

/** `chatctl <rest>` as the user runs it. */
export function commandLine(rest: string): string {
  return `${INVOKED_AS} ${rest}`;
}

/** Rewrites the `chatctl <command>` lines in a message to the form the user runs (no change for `chatctl`). */
export function asInvoked(text: string, as = INVOKED_AS): string {
  if (as === 'chatctl') return text;
  return text.replace(/(?<![\w./-]|npx |run )chatctl(?= [a-z-])/g, as);
}

/** A file's path as shown: relative below the working folder, `~/...` below the home folder, else absolute. */
export function shownPath(path: string, cwd = process.cwd(), home = homedir()): string {
  const here = relative(cwd, path);
  if (here && !here.startsWith('..') && !isAbsolute(here)) return here;
  const fromHome = relative(home, path);
  if (fromHome && !fromHome.startsWith('..') && !isAbsolute(fromHome)) return `~${sep}${fromHome}`;
  return path;
}
