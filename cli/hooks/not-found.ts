/**
 * An unknown command: say which command was meant (core/suggest.ts: aliases such as stop for down, then edit
 * distance), whether or not a terminal is attached, and exit 2 like a bad flag (docs/exit-codes.md). A known
 * command followed by words it does not take lands here too (oclif tries them as a longer command).
 */
import type { Hook } from '@oclif/core';
import { closestCommand } from '../../core/suggest.js';
import { type Problem, writeProblem } from '../errors.js';
import { commandLine } from '../output.js';

export function unknownCommand(typed: string, known: readonly string[], topics: readonly string[]): Problem {
  const command = known.filter((id) => typed.startsWith(`${id} `)).sort((a, b) => b.length - a.length)[0];
  if (command) {
    const extra = typed.slice(command.length + 1);
    return {
      message: `unexpected argument${extra.includes(' ') ? 's' : ''} to ${commandLine(command)}: ${extra}`,
      hint: `see its usage: ${commandLine(`${command} --help`)}`,
    };
  }
  const meant = closestCommand(typed, known) ?? closestCommand(typed, topics);
  const message = `unknown command "${typed}"`;
  if (!meant) return { message, hint: `see the commands: ${commandLine('help')}` };
  if (/\brestart\b/.test(typed) && / down\b/.test(meant)) {
    const up = meant.replace(/ down\b/, ' up');
    return { message, hint: `did you mean: ${commandLine(meant)}, then ${commandLine(up)}` };
  }
  return { message, hint: `did you mean: ${commandLine(meant)}` };
}

const hook: Hook<'command_not_found'> = async function (options) {
  const typed = [...options.id.split(':'), ...(options.argv ?? [])].join(' ');
  const known = options.config.commands.filter((c) => !c.hidden).map((c) => c.id.split(':').join(' '));
  const topics = options.config.topics.filter((t) => !t.hidden).map((t) => t.name.split(':').join(' '));
  writeProblem(unknownCommand(typed, known, topics), {
    json: options.argv?.includes('--json'),
    kind: 'usage',
  });
  this.exit(2);
};

export default hook;
