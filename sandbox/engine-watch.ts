/**
 * The sandbox watches its engine: when DynamoDB Local dies under it, a `--persist` sandbox restarts it on the
 * same port from its data on disk (every client keeps its endpoint), at most MAX_RESTARTS times in
 * RESTART_WINDOW_MS; an in-memory sandbox, whose data died with the JVM, stops with a message that says so
 * (a restarted engine would serve an empty database as if nothing had happened). Its state (running,
 * restarting, its restarts and how it last died) is in sandbox.json and the control API's status, for
 * `sandbox status`, `doctor` and `health`.
 */
import type { DynamoDbLocal, DynamoDbLocalOptions, EngineExit } from './dynamodb-local.js';
import { startDynamoDbLocal } from './dynamodb-local.js';

export const MAX_RESTARTS = 3;
export const RESTART_WINDOW_MS = 10 * 60_000;

export interface EngineStatus {
  readonly state: 'running' | 'restarting' | 'stopped';
  readonly pid: number;
  readonly restarts: number;
  /** How it last died under the sandbox, in words, and when. */
  readonly lastDeath?: { readonly at: string; readonly reason: string };
}

export interface EngineWatchOptions {
  readonly engine: Omit<DynamoDbLocalOptions, 'onExit'>;
  /** Restart a dead engine (its data is on disk); otherwise a death is fatal. */
  readonly restart: boolean;
  /** A sentence for the log and the operator (a death, a restart). */
  readonly note: (message: string) => void;
  /** The engine died and is being restarted, or runs again (new pid): the sandbox writes its state. */
  readonly onChange: () => void;
  /** The engine is gone for good: the sandbox stops, with this message. */
  readonly onFatal: (message: string) => void;
}

/** "exited with code 1" / "was killed by SIGKILL". */
export function describeExit(exit: EngineExit): string {
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
}

export class EngineWatch {
  private engine: DynamoDbLocal | undefined;
  private state: EngineStatus['state'] = 'running';
  private deaths: number[] = [];
  private restarts = 0;
  private lastDeath: EngineStatus['lastDeath'];
  private stopped = false;

  constructor(private readonly options: EngineWatchOptions) {}

  async start(): Promise<DynamoDbLocal> {
    this.engine = await this.launch(this.options.engine);
    return this.engine;
  }

  get status(): EngineStatus {
    return {
      state: this.stopped ? 'stopped' : this.state,
      pid: this.engine?.pid ?? -1,
      restarts: this.restarts,
      ...(this.lastDeath ? { lastDeath: this.lastDeath } : {}),
    };
  }

  get pid(): number {
    return this.engine?.pid ?? -1;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.engine?.stop();
  }

  private launch(options: Omit<DynamoDbLocalOptions, 'onExit'>): Promise<DynamoDbLocal> {
    return startDynamoDbLocal({ ...options, onExit: (exit) => void this.died(exit) });
  }

  private async died(exit: EngineExit): Promise<void> {
    if (this.stopped) return;
    const pid = this.engine?.pid;
    const reason = `DynamoDB Local (pid ${pid}) ${describeExit(exit)}`;
    this.lastDeath = { at: exit.at, reason };
    const now = Date.now();
    this.deaths = [...this.deaths.filter((t) => now - t < RESTART_WINDOW_MS), now];
    if (!this.options.restart) {
      this.options.onFatal(
        `${reason}: the sandbox's data was in its memory and is gone, so the sandbox stops (start it again: chatctl sandbox up; with --persist the data is on disk and the sandbox restarts its engine itself)`,
      );
      return;
    }
    if (this.deaths.length > MAX_RESTARTS) {
      this.options.onFatal(
        `${reason}, its ${this.deaths.length}th death in ${RESTART_WINDOW_MS / 60_000} minutes, so the sandbox stops instead of restarting it again (its data is on disk: chatctl sandbox up --persist)`,
      );
      return;
    }
    this.state = 'restarting';
    this.options.note(`${reason}; restarting it on port ${this.engine?.port} from its data on disk`);
    this.options.onChange();
    try {
      const engine = await this.launch({ ...this.options.engine, port: this.engine?.port });
      if (this.stopped) {
        await engine.stop();
        return;
      }
      this.engine = engine;
      this.restarts++;
      this.state = 'running';
      this.options.note(`DynamoDB Local restarted (pid ${engine.pid}), restart ${this.restarts}`);
      this.options.onChange();
    } catch (error) {
      this.options.onFatal(
        `${reason} and could not be restarted (${(error as Error).message.split('\n')[0]}), so the sandbox stops (its data is on disk: chatctl sandbox up --persist)`,
      );
    }
  }
}
