/**
 * An unknown command: say which command was meant, whether or not a terminal is attached (the oclif plugin
 * this replaces only asked at a terminal, so piped output said nothing useful), and exit 2 like a bad flag.
 */
import type { Hook } from '@oclif/core';
import { color, commandLine } from '../output.js';
import { closest } from '../suggest.js';

const hook: Hook<'command_not_found'> = async function (options) {
  const typed = options.id.split(':').join(' ');
  const ids = options.config.commands.filter((c) => !c.hidden).map((c) => c.id.split(':').join(' '));
  const meant = closest(typed, ids);
  process.stderr.write(`${color.red('Error:')} "${typed}" is not a chatctl command\n`);
  if (meant) process.stderr.write(`${color.dim('Hint:')} did you mean: ${commandLine(meant)}\n`);
  else process.stderr.write(`${color.dim('Hint:')} see the commands: ${commandLine('help')}\n`);
  this.exit(2);
};

export default hook;
