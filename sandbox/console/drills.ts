/**
 * The console's drills panel, server side. Running a drill is the CLI's business (cli/ops/drill/), and the
 * sandbox must not import the CLI: so whoever starts the sandbox may hand it a `SandboxDrills` hook
 * (`chatctl sandbox up` does) that lists the journal's recent drills and starts one. This module holds the
 * drill the console started: its latest view (the snapshot stream carries it, so the page follows its steps
 * live), one at a time; on stop it interrupts the drill, which puts back what it changed, and waits for it.
 */
import { UserError } from '../../core/errors.js';
import type { Topology } from '../../core/topology.js';
import type { ConsoleDrill, ConsoleDrillsReply, StartDrillRequest } from '../control-api.js';
import type { SandboxState } from '../state.js';

/** What a drill started from the console runs against, and where it reports its progress. */
export interface DrillContext {
  /** The sandbox as it runs now (regions added with `region add` included). */
  readonly topology: Topology;
  readonly state: SandboxState;
  /** Aborted when the sandbox stops: the drill restores what it changed and ends. */
  readonly signal: AbortSignal;
  /** Every change of the drill: a step started or ended, the drill finished. */
  onChange(drill: ConsoleDrill): void;
}

export interface StartedDrill {
  /** The drill as it is once its journal is written (before any step ran). */
  readonly drill: ConsoleDrill;
  /** Settles when the drill has ended, with its last view. */
  readonly finished: Promise<ConsoleDrill>;
}

/** The drills hook (SandboxOptions.drills). */
export interface SandboxDrills {
  /** The kinds `start` takes. */
  readonly kinds: readonly string[];
  /** The journal's recent drills, newest first. */
  list(): Promise<readonly ConsoleDrill[]>;
  /** Resolves once the drill has started; rejects (a UserError) when it cannot start. */
  start(request: StartDrillRequest, context: DrillContext): Promise<StartedDrill>;
}

/** How long stop() waits for an interrupted drill to put back what it changed. */
const STOP_WAIT_MS = 20_000;

export class ConsoleDrills {
  private current: ConsoleDrill | undefined;
  private busy = false;
  private finished: Promise<void> | undefined;
  private readonly interrupt = new AbortController();

  constructor(
    private readonly hook: SandboxDrills | undefined,
    private readonly sandbox: () => { topology: Topology; state: SandboxState },
  ) {}

  /** The drill last started from the console, as it is now. */
  get live(): ConsoleDrill | undefined {
    return this.current;
  }

  async list(): Promise<ConsoleDrillsReply> {
    if (!this.hook) return { available: false, kinds: [], drills: [] };
    return { available: true, kinds: this.hook.kinds, drills: await this.hook.list() };
  }

  async start(input: Record<string, unknown>): Promise<ConsoleDrill> {
    const hook = this.hook;
    if (!hook) {
      throw new UserError('this sandbox was started without drills', {
        hint: 'start it with chatctl sandbox up, or run a drill from a terminal: chatctl drill failover <region> --dry-run',
      });
    }
    const request = startRequest(input, hook.kinds);
    if (this.busy) {
      const drill = this.current;
      throw new UserError(
        drill?.state === 'running'
          ? `drill ${drill.id} (${drill.kind} of ${drill.region}) is still running; the console runs one drill at a time`
          : 'a drill is starting; the console runs one drill at a time',
        { hint: 'wait for it to finish: its steps are shown in the drills panel' },
      );
    }
    if (this.interrupt.signal.aborted) throw new UserError('the sandbox is stopping');
    this.busy = true;
    // A change can arrive before start() resolves: the newest view wins.
    let latest: ConsoleDrill | undefined;
    try {
      const started = await hook.start(request, {
        ...this.sandbox(),
        signal: this.interrupt.signal,
        onChange: (drill) => {
          latest = drill;
          this.current = drill;
        },
      });
      this.current = latest ?? started.drill;
      this.finished = started.finished
        .then(
          (drill) => {
            this.current = drill;
          },
          (error: Error) => {
            const last = this.current ?? started.drill;
            this.current = { ...last, state: 'finished', verdict: 'failed', endReason: error.message };
          },
        )
        .finally(() => {
          this.busy = false;
          this.finished = undefined;
        });
      return started.drill;
    } catch (error) {
      this.busy = false;
      throw error;
    }
  }

  /** Interrupts a running drill and waits (a bounded time) until it has put back what it changed. */
  async stop(): Promise<void> {
    this.interrupt.abort('the sandbox is stopping');
    const finished = this.finished;
    if (!finished) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))]);
    clearTimeout(timer);
  }
}

/** The request as the page sent it, checked field by field (a dry run unless dryRun is false). */
function startRequest(input: Record<string, unknown>, kinds: readonly string[]): StartDrillRequest {
  const { kind, region, dryRun, holdMs, moveChinaOrigin } = input;
  if (typeof kind !== 'string' || !kinds.includes(kind)) {
    throw new UserError(`unknown drill kind ${JSON.stringify(kind ?? '')}`, {
      hint: `the console starts: ${kinds.join(', ')}`,
    });
  }
  if (typeof region !== 'string' || region === '') {
    throw new UserError('a drill needs the region to take out', {
      hint: 'pick a region in the drills panel',
    });
  }
  const flag = (name: string, value: unknown): boolean | undefined => {
    if (value === undefined || typeof value === 'boolean') return value;
    throw new UserError(`${name} must be true or false`);
  };
  if (holdMs !== undefined && (typeof holdMs !== 'number' || !Number.isFinite(holdMs) || holdMs < 0)) {
    throw new UserError('holdMs must be a number of milliseconds, 0 or more', { hint: 'e.g. 30000' });
  }
  const dry = flag('dryRun', dryRun);
  const move = flag('moveChinaOrigin', moveChinaOrigin);
  return {
    kind,
    region,
    dryRun: dry ?? true,
    ...(holdMs === undefined ? {} : { holdMs }),
    ...(move === undefined ? {} : { moveChinaOrigin: move }),
  };
}
