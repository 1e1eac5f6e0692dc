/** Human output helpers: colours (off for NO_COLOR and non-TTY), status words and plain tables. */
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
