/**
 * The one error style of every command (docs/exit-codes.md): `Error: <what>` and `Hint: <what to do>` on stderr,
 * or `{"error": {kind, message, hint}}` on stdout with --json. oclif's own parse errors (a missing argument, a
 * value not among a flag's options, a flag's parse failure) are said the same way, with a "did you mean" from
 * core/suggest.ts, and exit 2.
 */
import { closest } from '../core/suggest.js';
import { asInvoked, color, commandLine } from './output.js';

export interface Problem {
  readonly message: string;
  readonly hint?: string;
}

export type ErrorKind = 'user' | 'usage' | 'unexpected';

export function writeProblem(problem: Problem, options: { json?: boolean; kind?: ErrorKind } = {}): void {
  if (options.json) {
    const error = {
      kind: options.kind ?? 'user',
      message: problem.message,
      ...(problem.hint ? { hint: problem.hint } : {}),
    };
    process.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
    return;
  }
  process.stderr.write(`${color.red('Error:')} ${asInvoked(problem.message)}\n`);
  if (problem.hint) process.stderr.write(`${color.dim('Hint:')} ${asInvoked(problem.hint)}\n`);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: oclif colours parts of its messages
const ANSI = /\u001b\[[0-9;]*m/g;

interface OclifParseError extends Error {
  readonly args?: readonly { name?: string; description?: string; options?: readonly string[] }[] | string[];
  readonly flags?: readonly string[];
  readonly oclif?: { exit?: number };
  readonly code?: string;
}

/** The command line, e.g. `chatctl drain`, for the hint to its --help. */
function helpHint(commandId: string | undefined): string {
  return `see its usage: ${commandLine(`${commandId ? `${commandId.split(':').join(' ')} ` : ''}--help`)}`;
}

/**
 * An oclif parse error said in chatctl's style; undefined for anything else. `flagNames` are the command's
 * flags (for "did you mean" on an unknown flag).
 */
export function describeParseError(
  error: OclifParseError,
  commandId: string | undefined,
  flagNames: readonly string[] = [],
): Problem | undefined {
  const text = error.message.replace(ANSI, '').replace(/\s*See more help with --help\s*$/, '');
  const help = helpHint(commandId);
  if (/^Nonexistent flags?:/.test(text) && Array.isArray(error.flags)) {
    const names = error.flags.map((flag) => {
      const name = flag.split('=')[0];
      const meant = closest(name, flagNames);
      return meant ? `${name} (did you mean ${meant}?)` : name;
    });
    return {
      message: `unknown flag${names.length === 1 ? '' : 's'}: ${names.join(', ')}`,
      hint: `see the flags: ${commandLine(`${commandId?.split(':').join(' ') ?? ''} --help`)}`,
    };
  }
  const missingArgs = /^Missing \d+ required args?/.exec(text);
  if (missingArgs) {
    const named = (error.args ?? []).filter(
      (a): a is { name: string; description?: string } => typeof a === 'object' && Boolean(a?.name),
    );
    const list = named.map((a) => `${a.name.toUpperCase()} (${a.description ?? a.name})`).join(', ');
    return { message: `missing argument${named.length === 1 ? '' : 's'}: ${list}`, hint: help };
  }
  const unexpected = /^Unexpected arguments?: (.*)$/.exec(text);
  if (unexpected)
    return {
      message: `unexpected argument${/,/.test(unexpected[1]) ? 's' : ''}: ${unexpected[1]}`,
      hint: help,
    };
  const flagOption = /^Expected --([\w-]+)=(.*) to be one of: (.*)$/.exec(text);
  if (flagOption) {
    const [, flag, value, list] = flagOption;
    const meant = closest(value, list.split(', '));
    return {
      message: `--${flag} "${value}" is not one of: ${list}`,
      hint: meant ? `did you mean --${flag} ${meant}?` : help,
    };
  }
  const argOption = /^Expected (.*) to be one of: (.*)$/.exec(text);
  if (argOption) {
    const [, value, list] = argOption;
    const meant = closest(value, list.split(', '));
    return { message: `"${value}" is not one of: ${list}`, hint: meant ? `did you mean ${meant}?` : help };
  }
  const parsing = /^Parsing (--[\w-]+)\s*\n\s*([\s\S]*)$/.exec(text);
  if (parsing) return { message: `${parsing[1]}: ${parsing[2].trim()}`, hint: help };
  const failed = /^The following errors? occurred:\s*\n([\s\S]*)$/.exec(text);
  if (failed) {
    const reasons = failed[1]
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    const said = reasons.map((r) =>
      r.replace(/^Missing required flag (\S+)$/, 'missing the required flag --$1'),
    );
    return { message: said.join('; '), hint: help };
  }
  const noValue = /^Flag (--[\w-]+) expects a value$/.exec(text);
  if (noValue) return { message: `${noValue[1]} needs a value`, hint: help };
  const notFound = /^Command (.+) not found\.?$/.exec(text);
  if (notFound)
    return {
      message: `unknown command "${notFound[1].split(':').join(' ')}"`,
      hint: `see the commands: ${commandLine('help')}`,
    };
  return undefined;
}

/** True for an error oclif raised about the command line itself (exit 2), false for a command's own failure. */
export function isParseError(error: OclifParseError): boolean {
  return (
    'parse' in error ||
    /See more help with --help\s*$/.test(error.message) ||
    /^(Command .+ not found\.?|Flag --[\w-]+ expects a value)$/.test(error.message.replace(ANSI, ''))
  );
}

/**
 * The last word on an error no command caught (a plugin's command such as autocomplete or help, or oclif
 * before a command ran): said in chatctl's style with its exit code. False when oclif should handle it
 * (an exit() on purpose).
 */
export function reportUncaught(error: OclifParseError): boolean {
  if (error.code === 'EEXIT') return false;
  const argv = process.argv.slice(2);
  const context = (error as { parse?: { input?: { context?: { id?: string } } } }).parse?.input?.context;
  const commandId = context?.id ?? argv.find((a) => !a.startsWith('-'));
  const problem = isParseError(error) ? describeParseError(error, commandId) : undefined;
  const json = argv.includes('--json');
  if (problem) {
    writeProblem(problem, { json, kind: 'usage' });
    process.exitCode = 2;
    return true;
  }
  writeProblem(
    {
      message: `unexpected error: ${error.message.replace(ANSI, '')}`,
      hint: 'run again with DEBUG=* for the stack trace',
    },
    { json, kind: 'unexpected' },
  );
  process.exitCode = error.oclif?.exit ?? 1;
  return true;
}
