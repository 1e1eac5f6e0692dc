import { Flags } from '@oclif/core';
import { UserError } from '../../../core/errors.js';
import type { SandboxLogLine } from '../../../sandbox/log.js';
import { ChatctlCommand } from '../../base.js';
import { regionInput } from '../../flags.js';
import type { LogKind } from '../../ops/sandbox/logs.js';

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
    "The health checkers' and canaries' routine traffic is left out at the default level, and summed up every 5 minutes (sandbox.log.level debug in chatctl.json writes it). " +
    'The log is sandbox.log in the state folder (~/.local/state/chatctl, or $CHATCTL_HOME); it rotates to sandbox.log.1 at sandbox.log.maxMiB (5 MiB). With --json, one JSON object per line.';
  static override examples = [
    '<%= config.bin %> sandbox logs',
    '<%= config.bin %> sandbox logs -f --region tokyo',
    '<%= config.bin %> sandbox logs --since 10m --kind handler,fault --grep error',
    '<%= config.bin %> sandbox logs -f --json | jq -c "select(.kind == \\"handler\\" and .error)"',
  ];
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep printing new lines until Ctrl-C' }),
    region: regionInput(Flags.string({ description: 'only the lines of this region key' })),
    lines: Flags.integer({
      char: 'n',
      description: 'how many recent lines to show first (default 100; with --since, every line since)',
      min: 0,
    }),
    since: Flags.string({
      description: 'only lines from this long ago (10m, 1h) or since this time (2026-12-07T20:00:00Z)',
      helpValue: '<duration|time>',
    }),
    grep: Flags.string({ description: 'only lines containing this text (case-insensitive)' }),
    kind: Flags.string({
      description: 'only lines of these kinds (comma-separated)',
      options: ['edge', 'handler', 'fault', 'replication', 'lambda', 'sandbox'],
      multiple: true,
      delimiter: ',',
    }),
  };

  protected async execute(): Promise<LogsResult> {
    const { followLog, formatLogLine, logFilter, readRecentLines, sandboxLogPath, sinceOf } = await import(
      '../../ops/sandbox/logs.js'
    );
    const { findRegion } = await import('../../../core/topology.js');
    const key = this.flags.region;
    const region = key ? { key, awsRegion: findRegion(await this.topology(), key).awsRegion } : undefined;
    const sinceMs = this.flags.since === undefined ? undefined : sinceOf(this.flags.since);
    if (this.flags.since !== undefined && sinceMs === undefined) {
      throw new UserError(`--since "${this.flags.since}" is neither a duration nor a time`, {
        hint: 'use a duration back from now (10m, 1h) or a time (2026-12-07T20:00:00Z)',
        exitCode: 2,
      });
    }
    const keep = logFilter({
      ...(region ? { region } : {}),
      ...(sinceMs !== undefined ? { sinceMs } : {}),
      ...(this.flags.grep !== undefined ? { grep: this.flags.grep } : {}),
      ...(this.flags.kind ? { kinds: this.flags.kind as LogKind[] } : {}),
    });
    const path = sandboxLogPath();
    const count = this.flags.lines ?? (sinceMs === undefined ? 100 : Number.POSITIVE_INFINITY);
    const recent = readRecentLines(path, count, keep);
    const print = (line: SandboxLogLine) =>
      process.stdout.write(`${this.jsonEnabled() ? JSON.stringify(line) : formatLogLine(line)}\n`);
    for (const line of recent) print(line);
    if (!this.flags.follow) {
      if (recent.length === 0)
        this.log(
          this.flags.since || this.flags.grep || this.flags.kind
            ? 'no line of the sandbox log matches'
            : 'the sandbox log is empty (start it with: chatctl sandbox up --detach)',
        );
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
