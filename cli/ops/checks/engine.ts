/**
 * The sandbox's own engine in `chatctl health`: DynamoDB Local, asked directly, and what the sandbox says of it
 * (sandbox.json, rewritten when it dies and when it is restarted). Every region's table is in it, so a dead
 * engine fails every region at once: this check names the cause.
 */
import { readSandboxState, type SandboxState } from '../../../sandbox/state.js';
import type { CheckResult } from './verdict.js';

export async function engineCheck(sandbox: SandboxState, timeoutMs: number): Promise<CheckResult<'engine'>> {
  const state = (await readSandboxState().catch(() => undefined)) ?? sandbox;
  const engine = state.dynamodb;
  const started = performance.now();
  const answers = await fetch(engine.endpoint, {
    signal: AbortSignal.timeout(Math.min(timeoutMs, 2000)),
  }).then(
    async (r) => {
      await r.arrayBuffer();
      return true;
    },
    () => false,
  );
  const latencyMs = Math.round(performance.now() - started);
  const restarts = engine.restarts ? `, restarted ${engine.restarts} time(s)` : '';
  const death = engine.lastDeath ? `; last: ${engine.lastDeath.reason} at ${engine.lastDeath.at}` : '';
  const data = { pid: engine.pid, restarts: engine.restarts ?? 0, state: engine.state ?? 'running' };
  if (answers) {
    return {
      name: 'engine',
      status: 'ok',
      latencyMs,
      detail: `DynamoDB Local (pid ${engine.pid}) answers${restarts}${death}`,
      data,
    };
  }
  return {
    name: 'engine',
    status: 'fail',
    detail: `DynamoDB Local (pid ${engine.pid}) does not answer at ${engine.endpoint}${engine.state === 'restarting' ? ': the sandbox is restarting it' : ''}${death}`,
    action:
      engine.state === 'restarting'
        ? 'wait for the restart (chatctl sandbox status), then check again'
        : 'restart the sandbox: chatctl sandbox restart (its output: chatctl sandbox logs)',
    data,
  };
}
