/**
 * The CLI's client of the sandbox's control API (sandbox/control-api.ts types every route once, for both
 * sides). A sandbox that does not answer, or answers an error, becomes a UserError saying what to do.
 */
import { UserError } from '../../../core/errors.js';
import { CONTROL_SECRET_HEADER } from '../../../sandbox/access.js';
import { CONTROL_PREFIX, type ControlRoutes, type ErrorReply } from '../../../sandbox/control-api.js';
import type { SandboxState } from '../../../sandbox/state.js';

export async function control<R extends keyof ControlRoutes>(
  state: Pick<SandboxState, 'edge' | 'controlSecret'>,
  method: ControlRoutes[R]['method'],
  path: ControlRoutes[R]['path'],
  body: ControlRoutes[R]['request'],
  timeoutMs = 30_000,
): Promise<ControlRoutes[R]['reply']> {
  let response: Response;
  try {
    response = await fetch(`${state.edge}${CONTROL_PREFIX}${path}`, {
      method,
      headers: {
        [CONTROL_SECRET_HEADER]: state.controlSecret,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new UserError(`the sandbox at ${state.edge} does not answer (${(error as Error).message})`, {
      hint: 'run: chatctl sandbox status (restart it with chatctl sandbox down && chatctl sandbox up --detach)',
    });
  }
  const json = (await response.json().catch(() => ({}))) as ControlRoutes[R]['reply'] & Partial<ErrorReply>;
  if (!response.ok) {
    throw new UserError(json.error ?? `the sandbox answered ${response.status}`, {
      hint: json.hint,
      exitCode: json.exitCode,
    });
  }
  return json;
}
