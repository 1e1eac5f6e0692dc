import { ChatctlCommand, EXIT } from '../../base.js';
import type { SandboxStatus } from '../../ops/sandbox/status.js';
import { color, statusWord, table } from '../../output.js';

type StatusResult = SandboxStatus;

export default class SandboxStatusCommand extends ChatctlCommand<typeof SandboxStatusCommand, StatusResult> {
  static override sandboxOnly = true;
  static override summary = 'Show whether the sandbox runs, its endpoints and its active faults.';
  static override examples = ['<%= config.bin %> sandbox status', '<%= config.bin %> sandbox status --json'];

  protected async execute(): Promise<StatusResult> {
    const { sandboxStatus } = await import('../../ops/sandbox/status.js');
    return sandboxStatus();
  }

  /**
   * 3 when no sandbox runs here (none started, or its process has exited), 1 when it runs but its DynamoDB
   * Local does not answer (dead, or restarting), so scripts can tell.
   */
  protected override exitCodeFor(result: StatusResult): number {
    if (!result.running) return EXIT.notRunning;
    return result.engineAnswers === false ? EXIT.failed : EXIT.ok;
  }

  protected override render(result: StatusResult): void {
    if (!result.state) {
      this.log(`${statusWord('skip', 'not running')}  (start it with: chatctl sandbox up --detach)`);
      return;
    }
    const state = result.state;
    if (!result.running) {
      this.log(
        state.stopped
          ? `${statusWord('fail', 'not running')}: it stopped at ${state.stopped.at}: ${state.stopped.reason}`
          : `${statusWord('fail', 'not running')}: sandbox.json names pid ${state.pid}, which has exited`,
      );
      this.log(color.dim('clear it with: chatctl sandbox down'));
      return;
    }
    this.log(
      `${result.alive ? statusWord('ok', 'running') : statusWord('warn', 'not answering')}  pid ${state.pid}, since ${state.startedAt}, AWS endpoint ${state.edge}${state.persist ? ', persistent' : ''}`,
    );
    this.log(
      table([
        ['REGION', 'AWS REGION', 'WEBSOCKET', 'HEALTH', 'FAULTS'],
        ...Object.entries(state.regions).map(([key, r]) => [
          key,
          r.awsRegion,
          r.websocketUrl,
          r.healthUrl,
          result.faults
            .filter((f) => f.region === key)
            .map((f) => color.yellow(f.fault))
            .join(', ') || '-',
        ]),
      ]),
    );
    this.log(engineLine(result));
    if (result.consoleUrl) this.log(`Console: ${result.consoleUrl}`);
    if (state.china) this.log(`China proxy: ${state.china.url} (distribution ${state.china.distributionId})`);
    if (result.replication) {
      this.log(
        color.dim(
          `replication: ${result.replication.observed} changes seen, ${result.replication.applied} applied, ${result.replication.queued} queued`,
        ),
      );
    }
  }
}

/** DynamoDB Local, as the sandbox watches it and as it answers now. */
export function engineLine(result: StatusResult): string {
  const engine = result.state?.dynamodb;
  if (!engine) return '';
  const word =
    result.engineAnswers === false
      ? statusWord('fail', engine.state === 'restarting' ? 'restarting' : 'not answering')
      : statusWord('ok', 'running');
  const restarts = engine.restarts ? `, restarted ${engine.restarts} time(s)` : '';
  const death = engine.lastDeath ? `; last death at ${engine.lastDeath.at}: ${engine.lastDeath.reason}` : '';
  return `DynamoDB Local: ${word}  pid ${engine.pid}, ${engine.endpoint}${restarts}${death}`;
}
