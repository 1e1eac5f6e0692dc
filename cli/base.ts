/**
 * The one base command: owns --json, --target, --config, --debug, error formatting and exit codes
 * (the table is docs/exit-codes.md). Subclasses implement `execute()` returning a typed result, and
 * `render()` for human output.
 */

import { Command, Flags, type Interfaces } from '@oclif/core';
import { isCommercialAwsRegion } from '../core/aws-regions.js';
import { isUserError, UserError } from '../core/errors.js';
import { pidAlive } from '../core/process.js';
import { locateTopology, type TopologyLocation } from '../core/project.js';
import { loadTopology, regionKeyOf, type Topology, unknownRegion } from '../core/topology.js';
import { readSandboxStateSync, runsTopology, type SandboxState } from '../sandbox/state.js';
import { describeParseError, isParseError, writeProblem } from './errors.js';
import { regionInputWords } from './flags.js';
import { asInvoked, color } from './output.js';

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof ChatctlCommand)['baseFlags'] & T['flags']
>;
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** Exit codes every command shares (docs/exit-codes.md). */
export const EXIT = {
  ok: 0,
  /** A user error (the message says what to do), a degraded verdict, a failed check. */
  failed: 1,
  /** Bad usage: an unknown command or flag, a bad flag value, a missing argument; a critical verdict. */
  usage: 2,
  /** `sandbox status`: no sandbox runs here. */
  notRunning: 3,
  /** Ctrl-C at a question (128 + SIGINT). */
  interrupted: 130,
} as const;

/** Moves the sandbox's ports without a chatctl.json (0: any free ports), e.g. for a test beside a running sandbox. */
export const SANDBOX_PORT_ENV = 'CHATCTL_SANDBOX_PORT';

function withSandboxPortFromEnv(topology: Topology): Topology {
  const value = process.env[SANDBOX_PORT_ENV];
  if (value === undefined || value === '') return topology;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UserError(`${SANDBOX_PORT_ENV}=${value} is not a port`, {
      hint: `set it to 0-65535 (0: any free ports), or unset it for sandbox.port of chatctl.json`,
      exitCode: EXIT.usage,
    });
  }
  return { ...topology, sandbox: { ...topology.sandbox, port } };
}

/**
 * Usage: `export default class RegionList extends ChatctlCommand<typeof RegionList, RegionListResult>`;
 * `this.flags` and `this.args` are typed from the subclass's static flags and args.
 */
export abstract class ChatctlCommand<T extends typeof Command, Result = unknown> extends Command {
  static override enableJsonFlag = true;

  /** Commands that act on this machine's sandbox only refuse `--target aws`. */
  static sandboxOnly = false;

  static override baseFlags = {
    target: Flags.option({
      options: ['sandbox', 'aws'] as const,
      description: 'where to act: the local sandbox or AWS (default: "target" in chatctl.json)',
      helpGroup: 'GLOBAL',
    })(),
    config: Flags.string({
      description: 'path of the topology file (default: chatctl.json here or in the nearest parent folder)',
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
    return EXIT.ok;
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
    await this.regionCodesToKeys();
    if ((this.ctor as unknown as typeof ChatctlCommand).sandboxOnly && this.flags.target === 'aws') {
      throw new UserError(`chatctl ${this.id?.split(':').join(' ')} acts on this machine's sandbox only`, {
        hint: 'drop --target aws; commands that act on AWS take it (see: chatctl help)',
        exitCode: EXIT.usage,
      });
    }
  }

  /**
   * A flag or argument that names a region (cli/flags.ts, regionInput) takes its AWS region code too: the code
   * becomes the key here, so every command sees keys, and a name of no region is refused before anything is
   * asked of the sandbox or AWS (exit 2, with the key probably meant). Sandbox-only commands leave the check
   * to the running sandbox, whose regions are the ones that count.
   */
  private async regionCodesToKeys(): Promise<void> {
    const inputs = [
      [this.flags, this.ctor.flags],
      [this.args, this.ctor.args],
    ] as [Record<string, unknown>, Record<string, unknown> | undefined][];
    const sandboxOnly = (this.ctor as unknown as typeof ChatctlCommand).sandboxOnly;
    for (const [values, definitions] of inputs) {
      for (const [name, definition] of Object.entries(definitions ?? {})) {
        const value = values[name];
        const also = regionInputWords(definition);
        if (also === undefined || typeof value !== 'string' || also.includes(value)) continue;
        if (sandboxOnly && !isCommercialAwsRegion(value)) continue;
        const topology = await this.topology();
        const key = regionKeyOf(topology, value);
        if (key === undefined && !sandboxOnly) throw unknownRegion(value, topology.regions);
        values[name] = key ?? value;
      }
    }
  }

  /** Human output: `chatctl <command>` in it is written the way the user runs chatctl (npx, npm run). */
  override log(message = '', ...args: unknown[]): void {
    super.log(asInvoked(message), ...args);
  }

  private located?: TopologyLocation;

  /** Where the topology file is (or would be): --config, CHATCTL_CONFIG, or found from here up. */
  protected get topologyLocation(): TopologyLocation {
    this.located ??= locateTopology(this.flags.config);
    return this.located;
  }

  protected get topologyPath(): string {
    return this.topologyLocation.path;
  }

  /** This machine's sandbox, when one runs (read once). */
  protected get runningSandbox(): SandboxState | undefined {
    if (this.running === undefined) {
      const state = readSandboxStateSync();
      this.running = state && pidAlive(state.pid) ? state : null;
    }
    return this.running ?? undefined;
  }

  private running?: SandboxState | null;

  /**
   * The topology, with --target applied. Without a chatctl.json, commands act on the running sandbox's
   * topology, else on the default one (so `sandbox up`, `chat` and `health` work on a fresh clone, from any
   * folder), and say so in one line; AWS needs a real file, and a file named by --config or CHATCTL_CONFIG
   * must exist.
   */
  protected async topology(): Promise<Topology> {
    const location = this.topologyLocation;
    if (!location.exists && location.explicit) {
      throw new UserError(`the topology file ${location.path} does not exist`, {
        hint: 'fix --config (or CHATCTL_CONFIG), or write it with: chatctl init --config <path>',
      });
    }
    const running = this.flags.target === 'aws' ? undefined : this.runningSandbox;
    if (!location.exists && running?.topology) {
      this.say(
        `Using the running sandbox's topology (${running.startedFrom?.configPath ?? 'the built-in defaults'}; no chatctl.json here or in a parent folder)`,
      );
      return { ...running.topology, target: 'sandbox' };
    }
    const topology = withSandboxPortFromEnv(await loadTopology(location.path, { allowMissing: true }));
    const effective = this.flags.target ? { ...topology, target: this.flags.target } : topology;
    if (!location.exists && effective.target === 'aws') {
      throw new UserError(`no topology at ${location.path}: AWS needs your account, domain and hosted zone`, {
        hint: 'run: chatctl init --aws, then edit chatctl.json',
      });
    }
    if (!location.exists) {
      this.say(
        'Using the built-in default topology (no chatctl.json here or in a parent folder; write one with: chatctl init)',
      );
    } else if (
      running?.topology &&
      effective.target === 'sandbox' &&
      !this.id?.startsWith('sandbox:') &&
      !runsTopology(running, effective)
    ) {
      this.say(
        `Note: the running sandbox runs another topology (${running.startedFrom?.configPath ?? 'the built-in defaults'}) than ${location.path}; to run this one: chatctl sandbox restart`,
      );
    }
    return effective;
  }

  /** One dim line on stderr about where the topology came from, once per command. */
  private say(text: string): void {
    if (this.topologySaid) return;
    this.topologySaid = true;
    process.stderr.write(color.dim(asInvoked(`${text}\n`)));
  }

  private topologySaid = false;

  async run(): Promise<Result> {
    const result = await this.execute();
    if (!this.jsonEnabled()) this.render(result);
    const code = this.exitCodeFor(result);
    if (code !== 0) process.exitCode = code;
    return result;
  }

  protected override async catch(
    error: Error & { exitCode?: number; oclif?: { exit?: number }; flags?: string[]; code?: string },
  ): Promise<unknown> {
    if (error.name === 'Interrupted') {
      process.exitCode = EXIT.interrupted;
      return undefined;
    }
    const json = this.jsonEnabled();
    if (isParseError(error)) {
      // The command line was parsed (and refused): oclif would warn, outside production, that it was not.
      (this as unknown as { parsed: boolean }).parsed = true;
      const flagNames = Object.entries({ ...this.ctor.baseFlags, ...this.ctor.flags })
        .filter(([, flag]) => !flag.hidden)
        .map(([name]) => `--${name}`)
        .concat(this.ctor.enableJsonFlag ? ['--json'] : [], ['--help']);
      const problem = describeParseError(error, this.id, flagNames);
      if (problem) {
        writeProblem(problem, { json, kind: 'usage' });
        process.exitCode = EXIT.usage;
        return undefined;
      }
    }
    // oclif's exit() and anything it raised that is not about the command line keep its handling.
    if (error.oclif !== undefined && error.code === 'EEXIT') return super.catch(error);
    const debug = Boolean(this.flags?.debug) || Boolean(process.env.DEBUG);
    const userError = isUserError(error);
    const exitCode = userError ? (error.exitCode ?? EXIT.failed) : (error.oclif?.exit ?? EXIT.failed);
    const hint = userError ? (error as { hint?: string }).hint : undefined;
    if (userError) writeProblem({ message: error.message, hint }, { json, kind: 'user' });
    else {
      writeProblem(
        {
          message: `unexpected error: ${error.message}`,
          hint: debug ? undefined : 'run again with --debug for the stack trace',
        },
        { json, kind: 'unexpected' },
      );
      if (debug && !json) process.stderr.write(`${error.stack ?? ''}\n`);
    }
    process.exitCode = exitCode;
    return undefined;
  }
}
