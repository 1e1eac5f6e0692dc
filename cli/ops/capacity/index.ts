/**
 * `chatctl capacity`: the planner (plan.ts over the measured cost table costs.ts), its price table
 * (prices.ts) and its calibration against the sandbox (calibrate.ts). The command wraps these functions.
 */

import { type Topology, writeFileAtomic } from '../../../core/topology.js';
import type { CalibrateOptions, Calibration } from './calibrate.js';
import { type CapacityFlags, resolveCapacityInput } from './input.js';
import { type CapacityPlan, planCapacity } from './plan.js';
import { PRICES, type RegionPrices } from './prices.js';
import { renderMarkdown, type Section } from './report.js';

export type { Calibration } from './calibrate.js';
export type { CapacityFlags } from './input.js';
export type { CapacityPlan } from './plan.js';

/** Plans for the peak; with target aws the Lambda quota is the account's (GetAccountSettings). */
export async function capacityPlan(topology: Topology, flags: CapacityFlags): Promise<CapacityPlan> {
  const input = resolveCapacityInput(topology, flags);
  let accountConcurrency: Record<string, number> | undefined;
  if (topology.target === 'aws') {
    const [{ readAccountConcurrency }, { awsTarget }] = await Promise.all([
      import('./account.js'),
      import('../target.js'),
    ]);
    accountConcurrency = await readAccountConcurrency(topology, awsTarget(topology).clientConfig);
  }
  return planCapacity(topology, input, { accountConcurrency });
}

export function priceTable(): Readonly<Record<string, RegionPrices>> {
  return PRICES;
}

/** Measures the per-route costs on a sandbox of its own (the sandbox and its clients load only here). */
export async function calibrateCosts(options: CalibrateOptions = {}): Promise<Calibration> {
  const { calibrate } = await import('./calibrate.js');
  return calibrate(options);
}

/** Writes sections as a Markdown report, atomically. */
export async function writeReport(path: string, title: string, sections: readonly Section[]): Promise<void> {
  await writeFileAtomic(path, renderMarkdown(title, sections));
}
