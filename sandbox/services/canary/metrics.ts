/**
 * The canary's results as CloudWatch stores them. Every judgement lands in the judged region's CloudWatch: its
 * own canary's under Region alone (embedded metric format there), an outside judge's under Region and Judge
 * (its PutMetricData into that region).
 */
import { CUSTOM_METRICS, METRIC_DIMENSION, metricsNamespace } from '../../../core/observability.js';
import { JUDGE_DIMENSION } from '../../../core/routing-health.js';
import type { Topology } from '../../../core/topology.js';
import type { RegionRuntimeInfo } from '../../contracts.js';
import type { MetricSample } from '../service.js';
import type { CanaryJudgement } from './probes.js';

export function canaryMetrics(
  topology: Pick<Topology, 'app'>,
  regions: readonly Pick<RegionRuntimeInfo, 'key' | 'awsRegion'>[],
  judgements: readonly CanaryJudgement[],
): MetricSample[] {
  const out: MetricSample[] = [];
  const byKey = new Map(regions.map((r) => [r.key, r]));
  for (const { judged, judge, results } of judgements) {
    const region = byKey.get(judged);
    if (!region || results.length === 0) continue;
    const base = {
      awsRegion: region.awsRegion,
      namespace: metricsNamespace(topology.app),
      dimensions: [
        { Name: METRIC_DIMENSION, Value: judged },
        ...(judge === judged ? [] : [{ Name: JUDGE_DIMENSION, Value: judge }]),
      ],
    };
    out.push({
      ...base,
      name: CUSTOM_METRICS.canarySuccess,
      values: results.map((r) => (r.ok ? 1 : 0)),
      unit: 'Count',
    });
    const latencies = results.flatMap((r) => (r.ok && r.latencyMs !== undefined ? [r.latencyMs] : []));
    if (latencies.length > 0 && judge === judged) {
      out.push({ ...base, name: CUSTOM_METRICS.canaryLatency, values: latencies, unit: 'Milliseconds' });
    }
  }
  return out;
}
