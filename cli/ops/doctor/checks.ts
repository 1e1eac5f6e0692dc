/** What `chatctl doctor` reports: one check, its status, what it saw, and the fix when it is not ok. */
export type DoctorStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  /** A stable id for scripts: node, java, ports, sandbox-state, dynamodb-local, machine, aws-... */
  readonly id: string;
  readonly title: string;
  readonly status: DoctorStatus;
  readonly detail: string;
  /** What to do (a command where there is one); set when the status is warn or fail. */
  readonly fix?: string;
}

export interface DoctorResult {
  readonly target: 'sandbox' | 'aws';
  readonly checks: readonly DoctorCheck[];
  /** No check failed (warnings allowed). */
  readonly ok: boolean;
}

export function check(
  id: string,
  title: string,
  status: DoctorStatus,
  detail: string,
  fix?: string,
): DoctorCheck {
  return fix === undefined || status === 'ok' || status === 'skip'
    ? { id, title, status, detail }
    : { id, title, status, detail, fix };
}

/** A check that threw is reported as failed with its message, never as a crash of the whole doctor. */
export async function guarded(
  id: string,
  title: string,
  run: () => Promise<DoctorCheck>,
): Promise<DoctorCheck> {
  try {
    return await run();
  } catch (error) {
    const hint = (error as { hint?: string }).hint;
    return check(id, title, 'fail', (error as Error).message, hint ?? 'run again with --debug');
  }
}
