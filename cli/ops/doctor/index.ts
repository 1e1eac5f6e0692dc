/** `chatctl doctor`: every check that says whether `sandbox up` (or, with --target aws, a deploy) can work. */
import type { Topology } from '../../../core/topology.js';
import { sandboxStatePath } from '../../../sandbox/state.js';
import type { DoctorResult } from './checks.js';
import {
  engineCheck,
  javaCheck,
  leftoverEngineCheck,
  machineCheck,
  nodeCheck,
  portsCheck,
  sandboxStateCheck,
} from './machine.js';

export type { DoctorCheck, DoctorResult, DoctorStatus } from './checks.js';

export interface DoctorOptions {
  readonly statePath?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export async function runDoctor(topology: Topology, options: DoctorOptions = {}): Promise<DoctorResult> {
  const state = await sandboxStateCheck(options.statePath ?? sandboxStatePath());
  const checks = [
    nodeCheck(),
    javaCheck(options.env),
    await portsCheck(topology, state.running),
    state.check,
    await engineCheck(state.running),
    leftoverEngineCheck(undefined, state.running),
    machineCheck(),
  ];
  if (topology.target === 'aws') {
    const { awsChecks } = await import('./aws.js');
    checks.push(...(await awsChecks(topology)));
  }
  return { target: topology.target, checks, ok: checks.every((c) => c.status !== 'fail') };
}
