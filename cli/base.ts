/**
 * The one base command: owns --json, --target, --config, --debug, error formatting and exit codes.
 * Subclasses implement `execute()` returning a typed result, and `render()` for human output.
 */

import { existsSync } from 'node:fs';
import { Command, Flags, type Interfaces } from '@oclif/core';
import { isUserError, UserError } from '../core/errors.js';
import { loadTopology, resolveTopologyPath, type Topology } from '../core/topology.js';
import { color } from './output.js';

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof ChatctlCommand)['baseFlags'] & T['flags']
>;
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/**
 * Usage: `export default class RegionList extends ChatctlCommand<typeof RegionList, RegionListResult>`;
 * `this.flags` and `this.args` are typed from the subclass's static flags and args.
 */
export abstract class ChatctlCommand<T extends typeof Command, Result = unknown> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    target: Flags.option({
      options: ['sandbox', 'aws'] as const,
      description: 'where to act: the local sandbox or AWS (default: "target" in chatctl.json)',
      helpGroup: 'GLOBAL',
    })(),
    config: Flags.string({
      description: 'path of the topology file',
      default: undefined,
      helpGroup: 'GLOBAL',
      env: 'CHATCTL_CONFIG',
    }),
    debug: Flags.boolean({ description: 'print stack traces of unexpected errors', helpGroup: 'GLOBAL' }),
  };

  protected flags!: CommandFlags<T>;
  protected args!: CommandArgs<T>;

  protected abstract execute(): Promise<Result>;

  /** Human output for a result; JSON output is printed by oclif from the returned value. */
  protected render(_result: Result): void {}

  /** The exit code for a successful result (e.g. 1 degraded, 2 critical); 0 by default. */
  protected exitCodeFor(_result: Result): number {
    return 0;
  }

  override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof ChatctlCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    });
    this.flags = flags as CommandFlags<T>;
    this.args = args as CommandArgs<T>;
  }

  protected get topologyPath(): string {
    return resolveTopologyPath(this.flags.config);
  }

  /**
   * The topology, with --target applied. Without a chatctl.json, commands run on the default topology
   * against the sandbox (so `sandbox up`, `chat` and `health` work on a fresh clone); AWS needs a real file.
   */
  protected async topology(): Promise<Topology> {
    const missing = !existsSync(this.topologyPath);
    const topology = await loadTopology(this.topologyPath, { allowMissing: true });
    const effective = this.flags.target ? { ...topology, target: this.flags.target } : topology;
    if (missing && effective.target === 'aws') {
      throw new UserError(
        `no topology at ${this.topologyPath}: AWS needs your account, domain and hosted zone`,
        {
          hint: 'run: chatctl init --aws, then edit chatctl.json',
        },
      );
    }
    return effective;
  }

  async run(): Promise<Result> {
    const result = await this.execute();
    if (!this.jsonEnabled()) this.render(result);
    const code = this.exitCodeFor(result);
    if (code !== 0) process.exitCode = code;
    return result;
  }

  protected override async catch(
    error: Error & { exitCode?: number; oclif?: { exit?: number } },
  ): Promise<unknown> {
    // oclif's own errors (bad flags, missing args, exit()) keep their handling and exit codes.
    if (error.oclif !== undefined) return super.catch(error);
    const debug = Boolean(this.flags?.debug) || Boolean(process.env.DEBUG);
    const userError = isUserError(error);
    const exitCode = userError ? (error.exitCode ?? 1) : 1;
    const hint = userError ? (error as { hint?: string }).hint : undefined;
    if (this.jsonEnabled()) {
      this.logJson({
        error: { kind: userError ? 'user' : 'unexpected', message: error.message, ...(hint ? { hint } : {}) },
      });
    } else if (userError) {
      process.stderr.write(`${color.red('Error:')} ${error.message}\n`);
      if (hint) process.stderr.write(`${color.dim('Hint:')} ${hint}\n`);
    } else {
      process.stderr.write(`${color.red('Unexpected error:')} ${error.message}\n`);
      if (debug) process.stderr.write(`${error.stack ?? ''}\n`);
      else process.stderr.write(color.dim('Run again with --debug for the stack trace.\n'));
    }
    process.exitCode = exitCode;
    return undefined;
  }
}
