import { fmt, row, timeCommand } from './support.js';

export async function run(): Promise<void> {
  const node = timeCommand('node', ['-e', '0']);
  const help = timeCommand('node', ['bin/run.js', '--help']);
  const list = timeCommand('node', ['bin/run.js', 'region', 'list']);
  row('node -e 0 (median of 10)', fmt(node));
  row('chatctl --help', `${fmt(help)}  (${(help / node).toFixed(2)}x bare node; aim <= 2.5x)`);
  row('chatctl region list', `${fmt(list)}  (${(list / node).toFixed(2)}x bare node)`);
}
