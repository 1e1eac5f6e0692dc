/**
 * The global dashboard, deployed with the global data stack: every region side by side (connects, canary,
 * lane utilization, load level, relay errors) and the replication lag matrix, one cell per source -> receiving
 * pair. Metrics are addressed by name and region (functions are named by the topology), so no stack needs a
 * reference to another region's.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Dashboard,
  GraphWidget,
  type IWidget,
  Row,
  SingleValueWidget,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { names } from '../core/names.js';
import { CUSTOM_METRICS } from '../core/observability.js';
import type { Route } from '../core/protocol.js';
import type { Topology } from '../core/topology.js';
import { customMetric, lambdaMetric, laneUtilization, replicationLatency } from './metrics.js';

export interface GlobalDashboardProps {
  readonly topology: Topology;
}

export class GlobalDashboard extends Construct {
  readonly dashboard: Dashboard;
  /** The matrix's cells by "source->receiving" region key, for tests and readers. */
  readonly lagCells: ReadonlyMap<string, SingleValueWidget>;

  constructor(scope: Construct, id: string, props: GlobalDashboardProps) {
    super(scope, id);
    const { topology } = props;
    const regions = topology.regions;
    const table = names.table(topology);
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: names.globalDashboard(topology),
      defaultInterval: Duration.hours(3),
    });
    const column = Math.max(2, Math.floor(24 / regions.length));
    const lanes = Object.keys(topology.lanes) as Route[];

    const sideBySide = (title: string, widget: (r: (typeof regions)[number]) => IWidget) => {
      this.dashboard.addWidgets(new TextWidget({ markdown: `## ${title}`, width: 24, height: 1 }));
      this.dashboard.addWidgets(new Row(...regions.map(widget)));
    };
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${topology.app}: every region\nRegions: ${regions.map((r) => `${r.key} (${r.awsRegion})`).join(', ')}. Each region's own dashboard is \`${names.regionDashboard(topology, '<key>')}\`.`,
        width: 24,
        height: 2,
      }),
    );
    sideBySide(
      'Connects and the canary',
      (r) =>
        new GraphWidget({
          title: r.key,
          region: r.awsRegion,
          left: [
            lambdaMetric(names.function(topology, r.key, 'connect'), 'Invocations', 'Sum', {
              region: r.awsRegion,
              label: 'connects',
            }),
          ],
          right: [
            customMetric(topology, r.key, CUSTOM_METRICS.canarySuccess, 'Minimum', {
              region: r.awsRegion,
              label: 'canary ok',
            }),
          ],
          rightYAxis: { min: 0, max: 1 },
          width: column,
        }),
    );
    sideBySide(
      'Lane utilization (% of reserved) and load level',
      (r) =>
        new GraphWidget({
          title: r.key,
          region: r.awsRegion,
          left: lanes.map((route) =>
            laneUtilization(names.function(topology, r.key, route), topology.lanes[route]!, {
              region: r.awsRegion,
              label: route,
            }),
          ),
          right: [
            customMetric(topology, r.key, CUSTOM_METRICS.loadLevel, 'Maximum', {
              region: r.awsRegion,
              label: 'level',
            }),
          ],
          leftYAxis: { min: 0, max: 100 },
          rightYAxis: { min: 0, max: 3 },
          width: column,
        }),
    );
    sideBySide(
      'Relay errors',
      (r) =>
        new GraphWidget({
          title: r.key,
          region: r.awsRegion,
          left: [
            customMetric(topology, r.key, CUSTOM_METRICS.relayErrors, 'Sum', {
              region: r.awsRegion,
              label: 'errors',
            }),
          ],
          width: column,
        }),
    );

    // The replication lag matrix: a row per source region, a column per receiving region.
    const cell = Math.max(2, Math.floor(24 / (regions.length + 1)));
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `## Replication lag matrix (ms, average): row = source, column = receiving; alarm at ${topology.replication.lagThresholdMs} ms`,
        width: 24,
        height: 1,
      }),
    );
    this.dashboard.addWidgets(
      new Row(
        new TextWidget({ markdown: '**from \\ to**', width: cell, height: 2 }),
        ...regions.map((r) => new TextWidget({ markdown: `**${r.key}**`, width: cell, height: 2 })),
      ),
    );
    const cells = new Map<string, SingleValueWidget>();
    for (const source of regions) {
      const row: IWidget[] = [new TextWidget({ markdown: `**${source.key}**`, width: cell, height: 3 })];
      for (const receiving of regions) {
        if (receiving.key === source.key) {
          row.push(new TextWidget({ markdown: '-', width: cell, height: 3 }));
          continue;
        }
        const widget = new SingleValueWidget({
          title: `${source.key} -> ${receiving.key}`,
          region: source.awsRegion,
          metrics: [
            replicationLatency(table, source.awsRegion, receiving.awsRegion).with({
              period: Duration.minutes(5),
            }),
          ],
          width: cell,
          height: 3,
        });
        cells.set(`${source.key}->${receiving.key}`, widget);
        row.push(widget);
      }
      this.dashboard.addWidgets(new Row(...row));
    }
    this.lagCells = cells;
  }
}
