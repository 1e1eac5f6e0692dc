import { relative } from 'node:path';
import { Flags } from '@oclif/core';
import { isLoopback } from '../../../sandbox/ports.js';
import { consoleLink, type SandboxState } from '../../../sandbox/state.js';
import { ChatctlCommand } from '../../base.js';
import type { SandboxUpResult } from '../../ops/sandbox/lifecycle.js';
import { color, table } from '../../output.js';

export default class SandboxUp extends ChatctlCommand<typeof SandboxUp, SandboxUpResult> {
  static override sandboxOnly = true;
  static override summary = 'Start every region of chatctl.json (or the default three) on this machine.';
  static override description =
    'Runs in the foreground until Ctrl-C (DynamoDB Local included); --detach returns once every region answers. Endpoints go to .chatctl/sandbox.json.';
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
    persist: Flags.boolean({ description: 'keep DynamoDB data in .chatctl/data across restarts' }),
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
    // No Java: the install line now, before anything starts (and before --detach spawns anything).
    const { requireJava } = await import('../../../sandbox/java.js');
    requireJava();
    const ops = await import('../../ops/sandbox/lifecycle.js');
    const topology = await this.topology();
    const common = {
      topology,
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
    if (this.flags.detach) return ops.sandboxUpDetached({ ...common, configPath: this.flags.config });
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
    setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
    return result;
  }

  protected override render(result: SandboxUpResult): void {
    if (result.detached) {
      this.log(endpointsTable(result.state));
      this.log(
        color.dim(
          `Running in the background (log: ${relative(process.cwd(), result.log ?? '')}, or: chatctl sandbox logs -f); stop it with: chatctl sandbox down`,
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
