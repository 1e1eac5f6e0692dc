import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../base.js';
import type { Calibration, CapacityPlan } from '../ops/capacity/index.js';
import type { RegionPrices } from '../ops/capacity/prices.js';
import {
  calibrationSections,
  planSections,
  priceSections,
  renderText,
  type Section,
} from '../ops/capacity/report.js';

/** What was computed, and the Markdown file it was also written to (--report). */
type CapacityResult = (
  | { readonly kind: 'plan'; readonly plan: CapacityPlan }
  | { readonly kind: 'prices'; readonly prices: Readonly<Record<string, RegionPrices>> }
  | { readonly kind: 'calibration'; readonly calibration: Calibration }
) & { readonly report?: string };

const number = (description: string) =>
  Flags.custom<number>({
    description,
    // Not a number becomes NaN, which the planner's input check reports naming the flag (exit 2).
    parse: async (input) => (input.trim() === '' ? Number.NaN : Number(input)),
  })();

export default class Capacity extends ChatctlCommand<typeof Capacity, CapacityResult> {
  static override summary =
    "Plan a peak: each region's quotas, Lambda lanes and monthly cost, from measured costs.";
  static override description =
    'From a peak of messages per second, the load on each region: API Gateway connects, connections, messages and ' +
    '@connections posts; Lambda concurrency per route (invocations/s x the measured duration) against the lanes in ' +
    "chatctl.json and the account's quota (read with GetAccountSettings when --target aws); DynamoDB reads, writes " +
    'and replicated writes; relay Invokes and inter-region transfer. A verdict per quota (ok, near, over) with the ' +
    'Service Quotas name to request, the lanes to reserve, and the month at an average-to-peak ratio. Flags override ' +
    'the "capacity" profile of chatctl.json. --prices prints the dated price table; --calibrate measures the costs ' +
    'on a sandbox on this machine and prints them next to the table the planner uses.';
  static override examples = [
    '<%= config.bin %> capacity --peak-msgs 427000 --avg-room 8 --cross-region-share 0.02',
    '<%= config.bin %> capacity --peak-msgs 45000 --region-share seoul=0.8 --region-share tokyo=0.15 --region-share na=0.05 --report plan.md',
    '<%= config.bin %> capacity --prices',
    '<%= config.bin %> capacity --calibrate',
  ];
  static override flags = {
    'peak-msgs': number('messages sent per second at the peak, all regions'),
    'avg-room': number('members per room (default 8)'),
    'cross-region-share': number('share of messages in rooms with members in another region (default 0.02)'),
    connections: number('concurrent connections at the peak, all regions (default 100 per message/s)'),
    'connect-rate': number(
      'new connections per second at the peak (default connections / 7200: the 2-hour limit)',
    ),
    'region-share': Flags.string({
      description: 'share of the traffic of a region, key=F (every region, summing to 1; default equal)',
      multiple: true,
    }),
    'history-reads-per-msg': number('history pages read per message sent (default 0.05)'),
    'avg-to-peak': number("the month's average traffic as a share of the peak (default 0.3)"),
    'from-analytics': Flags.string({
      description:
        'take the cross-region share and room size from a daily analytics result: its folder, or latest (flags still win)',
    }),
    report: Flags.string({ description: 'also write what is printed as Markdown to FILE' }),
    prices: Flags.boolean({
      description: 'print the price table (with the source and date of each price)',
      exclusive: ['calibrate'],
    }),
    calibrate: Flags.boolean({
      description: "measure the per-route costs on a sandbox on this machine, next to the planner's table",
    }),
    repeats: Flags.integer({
      description: 'with --calibrate: operations of each kind',
      default: 10,
      min: 1,
      max: 200,
    }),
  };

  protected async execute(): Promise<CapacityResult> {
    const ops = await import('../ops/capacity/index.js');
    const result = await this.compute(ops);
    if (!this.flags.report) return result;
    await ops.writeReport(this.flags.report, titleOf(result), sectionsOf(result));
    return { ...result, report: this.flags.report };
  }

  private async compute(ops: typeof import('../ops/capacity/index.js')): Promise<CapacityResult> {
    if (this.flags.prices) return { kind: 'prices', prices: ops.priceTable() };
    if (this.flags.calibrate) {
      return { kind: 'calibration', calibration: await ops.calibrateCosts({ repeats: this.flags.repeats }) };
    }
    const measured = this.flags['from-analytics']
      ? await this.measured(this.flags['from-analytics'])
      : undefined;
    const plan = await ops.capacityPlan(await this.topology(), {
      peakMsgs: this.flags['peak-msgs'],
      avgRoom: this.flags['avg-room'] ?? measured?.avgRoom,
      crossRegionShare: this.flags['cross-region-share'] ?? measured?.crossRegionShare,
      connections: this.flags.connections,
      connectRate: this.flags['connect-rate'],
      regionShare: this.flags['region-share'],
      historyReadsPerMsg: this.flags['history-reads-per-msg'],
      avgToPeak: this.flags['avg-to-peak'],
    });
    return { kind: 'plan', plan };
  }

  /** The measured inputs of a daily analytics result (said on stderr, so --json stays the plan alone). */
  private async measured(given: string) {
    const [{ analyticsInputs, resolveDailyFolder }, { localAnalyticsDir }, { join }] = await Promise.all([
      import('../ops/capacity/from-analytics.js'),
      import('../ops/analytics/index.js'),
      import('node:path'),
    ]);
    const inputs = await analyticsInputs(await resolveDailyFolder(given, join(localAnalyticsDir(), 'daily')));
    process.stderr.write(
      `from analytics (${inputs.source}): cross-region share ${inputs.crossRegionShare.toFixed(4)}, ${inputs.avgRoom.toFixed(1)} members per room\n`,
    );
    return inputs;
  }

  protected override render(result: CapacityResult): void {
    this.log(renderText(sectionsOf(result)));
    if (result.report) this.log(`\nwrote ${result.report}`);
  }
}

function sectionsOf(result: CapacityResult): Section[] {
  if (result.kind === 'prices') return priceSections();
  if (result.kind === 'calibration') return calibrationSections(result.calibration);
  return planSections(result.plan);
}

function titleOf(result: CapacityResult): string {
  if (result.kind === 'prices') return 'chatctl capacity: the price table';
  if (result.kind === 'calibration') return 'chatctl capacity: per-route costs measured on the sandbox';
  return `Capacity plan: ${result.plan.input.peakMsgs.toLocaleString('en-US')} messages/s at the peak`;
}
