import { Flags } from '@oclif/core';
import type { SandboxLogLine } from '../../../sandbox/log.js';
import { ChatctlCommand } from '../../base.js';
import { regionInput } from '../../flags.js';

interface LogsResult {
  readonly lines: readonly SandboxLogLine[];
}

export default class SandboxLogs extends ChatctlCommand<typeof SandboxLogs, LogsResult> {
  static override sandboxOnly = true;
  static override summary =
    "Show the sandbox's log: edge requests, handler invocations, faults, replication.";
  static override description =
    'One line per AWS request the edge served (service, operation, region, status, ms), per handler invocation ' +
    '(function, route, ms, error), per fault injected or healed, and per replication batch (pair, items, lag). ' +
    'The log is sandbox.log in the state folder (~/.local/state/chatctl, or $CHATCTL_HOME); it rotates to sandbox.log.1 at 5 MiB. With --json, one JSON object per line.';
  static override examples = [
    '<%= config.bin %> sandbox logs',
    '<%= config.bin %> sandbox logs -f --region tokyo',
    '<%= config.bin %> sandbox logs -f --json | jq -c "select(.kind == \\"handler\\" and .error)"',
  ];
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep printing new lines until Ctrl-C' }),
    region: regionInput(Flags.string({ description: 'only the lines of this region key' })),
    lines: Flags.integer({
      char: 'n',
      description: 'how many recent lines to show first',
      default: 100,
      min: 0,
    }),
  };

  protected async execute(): Promise<LogsResult> {
    const { followLog, formatLogLine, readRecentLines, regionFilter, sandboxLogPath } = await import(
      '../../ops/sandbox/logs.js'
    );
    const { findRegion } = await import('../../../core/topology.js');
    const key = this.flags.region;
    const awsRegion = key ? findRegion(await this.topology(), key).awsRegion : undefined;
    const keep = regionFilter(key, awsRegion);
    const path = sandboxLogPath();
    const recent = readRecentLines(path, this.flags.lines ?? 100, keep);
    const print = (line: SandboxLogLine) =>
      process.stdout.write(`${this.jsonEnabled() ? JSON.stringify(line) : formatLogLine(line)}\n`);
    for (const line of recent) print(line);
    if (!this.flags.follow) {
      if (recent.length === 0)
        this.log('the sandbox log is empty (start it with: chatctl sandbox up --detach)');
      return { lines: recent };
    }
    // Following: every line as it comes, until Ctrl-C, which ends it with exit 0.
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once('SIGINT', onSigint);
    try {
      await followLog(path, (line) => keep(line) && print(line), stop.signal);
    } finally {
      process.off('SIGINT', onSigint);
    }
    return { lines: [] };
  }

  /** With --json every line was printed as one JSON object already (JSON lines, as -f prints them). */
  protected override logJson(_json: unknown): void {}
}
