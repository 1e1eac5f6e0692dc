import { Flags } from '@oclif/core';
import type { Topology } from '../../../core/topology.js';
import { isLoopback } from '../../../sandbox/ports.js';
import { consoleLink, type SandboxOrigin, type SandboxState } from '../../../sandbox/state.js';
import { ChatctlCommand } from '../../base.js';
import type { SandboxUpResult } from '../../ops/sandbox/lifecycle.js';
import { color, shownPath, table } from '../../output.js';

export default class SandboxUp extends ChatctlCommand<typeof SandboxUp, SandboxUpResult> {
  static override sandboxOnly = true;
  static override summary =
    "Start this machine's sandbox: every region of chatctl.json (or the default three), or find the one running.";
  static override description =
    'One sandbox per user and machine, found from any folder: when it already runs with this topology, up says so and starts nothing; with another topology it is refused. Runs in the foreground until Ctrl-C (DynamoDB Local included); --detach returns once every region answers. Its state (sandbox.json, log, data) is in $CHATCTL_HOME, else $XDG_STATE_HOME/chatctl, else ~/.local/state/chatctl.';
  static override aliases = ['sandbox:start'];
  static override examples = [
    '<%= config.bin %> sandbox up',
    '<%= config.bin %> sandbox up --detach',
    '<%= config.bin %> sandbox up --port 5566 --persist',
  ];
  static override flags = {
    detach: Flags.boolean({ description: 'run in the background and return once it is ready' }),
    port: Flags.integer({
      description: 'edge port (default: sandbox.port in chatctl.json, 4566)',
      min: 0,
      max: 65535,
    }),
    persist: Flags.boolean({ description: 'keep DynamoDB data (in the state folder) across restarts' }),
    host: Flags.string({
      description: 'listen on this address instead of 127.0.0.1 (opens the sandbox to the network)',
    }),
    'verify-signatures': Flags.boolean({
      description:
        "verify every SigV4 signature with its key's secret (the well-known test keys and sandbox.keys)",
    }),
    'allow-origin': Flags.string({
      description: 'a browser origin (scheme://host:port) let in besides the sandbox console; repeatable',
      multiple: true,
    }),
  };

  protected async execute(): Promise<SandboxUpResult> {
    return this.up(await this.topology(), this.origin());
  }

  /** Where up runs, and the topology file it read (the running sandbox's record when it came from there). */
  protected origin(): SandboxOrigin {
    if (!this.topologyLocation.exists && this.runningSandbox?.startedFrom)
      return this.runningSandbox.startedFrom;
    return {
      cwd: process.cwd(),
      ...(this.topologyLocation.exists ? { configPath: this.topologyLocation.path } : {}),
    };
  }

  protected async up(topology: Topology, origin: SandboxOrigin): Promise<SandboxUpResult> {
    // No Java: the install line now, before anything starts (and before --detach spawns anything).
    const { requireJava } = await import('../../../sandbox/java.js');
    requireJava();
    const ops = await import('../../ops/sandbox/lifecycle.js');
    const common = {
      topology,
      origin,
      port: this.flags.port,
      persist: this.flags.persist,
      host: this.flags.host,
      verifySignatures: this.flags['verify-signatures'],
      allowOrigins: this.flags['allow-origin'],
      onNote: (text: string) => process.stderr.write(`${color.yellow('sandbox:')} ${text}\n`),
    };
    if (this.flags.host && !isLoopback(this.flags.host)) {
      this.warn(
        `--host ${this.flags.host}: the sandbox will answer anyone who can reach this address, with no real credentials (any access key passes unless --verify-signatures)`,
      );
    }
    if (this.flags.detach) {
      // The child reads the same topology file (restart's may come from the sandbox it stopped).
      return ops.sandboxUpDetached({ ...common, configPath: this.flags.config ?? origin.configPath });
    }
    const result = await ops.sandboxUpForeground({
      ...common,
      onReady: (state) => {
        if (this.jsonEnabled()) return;
        this.log(endpointsTable(state));
        this.log(
          color.dim(
            process.env[ops.DETACHED_ENV]
              ? 'Running in the background: stop it with chatctl sandbox down; its log: chatctl sandbox logs -f'
              : 'Ctrl-C stops it (or from another terminal: chatctl sandbox down); its log: chatctl sandbox logs -f',
          ),
        );
      },
      onError: (error, where) =>
        process.stderr.write(`${color.yellow('sandbox:')} ${where}: ${error.message}\n`),
    });
    // Nothing should keep the process alive once the sandbox stopped; if something does, do not hang.
    if (!result.found) setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
    return result;
  }

  protected override render(result: SandboxUpResult): void {
    if (result.found) {
      const from = result.state.startedFrom ? ` (started in ${result.state.startedFrom.cwd})` : '';
      this.log(`${color.green('already running')} with this topology${from}; nothing started`);
      this.log(endpointsTable(result.state));
      this.log(color.dim('stop it with: chatctl sandbox down; its log: chatctl sandbox logs -f'));
    } else if (result.detached) {
      this.log(endpointsTable(result.state));
      this.log(
        color.dim(
          `Running in the background (log: ${shownPath(result.log ?? '')}, or: chatctl sandbox logs -f); stop it with: chatctl sandbox down`,
        ),
      );
    } else {
      this.log('sandbox stopped');
    }
  }
}

export function endpointsTable(state: SandboxState): string {
  const regions = Object.entries(state.regions);
  const lines = [
    `${color.green('sandbox up')}: ${regions.length} regions, AWS endpoint ${state.edge} (pid ${state.pid})`,
    '',
    table([
      ['REGION', 'AWS REGION', 'WEBSOCKET', 'HEALTH'],
      ...regions.map(([key, r]) => [key, r.awsRegion, r.websocketUrl, r.healthUrl]),
    ]),
  ];
  const consoleUrl = consoleLink(state);
  if (consoleUrl) lines.push('', `Console: ${consoleUrl}  (open it in a browser)`);
  if (state.china)
    lines.push('', `China proxy: ${state.china.url} (distribution ${state.china.distributionId})`);
  const [first, second] = regions.map(([key]) => key);
  lines.push(
    '',
    `Try it: chatctl chat --region ${first} --room lobby --user alice` +
      (second
        ? `\n   and: chatctl chat --region ${second} --room lobby --user bob   (in another terminal)`
        : ''),
  );
  return lines.join('\n');
}
