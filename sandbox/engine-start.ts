/**
 * DynamoDB Local started for a sandbox, under watch (engine-watch.ts), by a module that loads little: `sandbox
 * up` starts the JVM with it before it loads the sandbox's own modules (the AWS SDK, the gateways, the services:
 * seconds on a loaded machine), so the engine's start, the longest part of `sandbox up`, runs beside that
 * loading. The Sandbox takes it through its `engine` option and attaches its handlers of the engine's events;
 * without that option it starts one itself, the same way.
 */
import type { DynamoDbLocal } from './dynamodb-local.js';
import { EngineWatch } from './engine-watch.js';
import { engineRecordPath } from './state.js';

/** What the Sandbox does when its engine dies, is restarted, or is gone for good (engine-watch.ts). */
export interface EngineEvents {
  note(message: string): void;
  onChange(): void;
  onFatal(message: string): void;
}

export interface StartingEngine {
  readonly watch: EngineWatch;
  /** Resolves once the engine answers; rejects when it could not start. */
  readonly started: Promise<DynamoDbLocal>;
  /** The sandbox's handlers of the engine's events; a fatal one that came before is told at once. */
  attach(events: EngineEvents): void;
  /** Stops the engine, once it has started if it is still starting (a start that failed before it took it). */
  stop(): Promise<void>;
}

/**
 * Starts a sandbox's engine: its data on disk in `dataDir` when given (a persisting sandbox: restarted when it
 * dies), else in memory; listening on `host`; its engine.json beside `statePath` (sandbox.json) when given.
 */
export function startSandboxEngine(options: {
  readonly dataDir?: string;
  readonly host: string;
  readonly statePath?: string;
}): StartingEngine {
  let events: EngineEvents | undefined;
  let fatalBefore: string | undefined;
  const path = options.statePath;
  const watch = new EngineWatch({
    engine: {
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      host: options.host,
      ...(path ? { recordPath: engineRecordPath(path) } : {}),
    },
    restart: options.dataDir !== undefined,
    note: (message) => events?.note(message),
    onChange: () => events?.onChange(),
    onFatal: (message) => {
      if (events) events.onFatal(message);
      else fatalBefore = message;
    },
  });
  const started = watch.start();
  started.catch(() => {});
  return {
    watch,
    started,
    attach(handlers) {
      events = handlers;
      if (fatalBefore) handlers.onFatal(fatalBefore);
    },
    async stop() {
      await started.then(
        () => watch.stop(),
        () => {},
      );
    },
  };
}
