/**
 * The handlers' embedded-metric-format lines (runtime/metrics/emf.ts), which CloudWatch Logs turns into
 * metrics on AWS: the sandbox hands its handlers this sink and publishes what it collected every tick
 * (metric-sources.ts), so the relay's RelayErrors reach CloudWatch as they would on AWS. A line that is not
 * an EMF document is ignored, as CloudWatch Logs leaves it a plain log line.
 */
import { METRIC_DIMENSION } from '../core/observability.js';

export interface EmfValue {
  readonly namespace: string;
  /** The region key (the one dimension every custom metric carries). */
  readonly regionKey: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
}

interface EmfDocument {
  _aws?: { CloudWatchMetrics?: { Namespace?: string; Metrics?: { Name?: string; Unit?: string }[] }[] };
  [field: string]: unknown;
}

export class EmfCollector {
  private values: EmfValue[] = [];

  readonly sink = (line: string): void => {
    let document: EmfDocument;
    try {
      document = JSON.parse(line) as EmfDocument;
    } catch {
      return;
    }
    const regionKey = document[METRIC_DIMENSION];
    if (typeof regionKey !== 'string') return;
    for (const directive of document._aws?.CloudWatchMetrics ?? []) {
      for (const metric of directive.Metrics ?? []) {
        const value = metric.Name === undefined ? undefined : document[metric.Name];
        if (!directive.Namespace || typeof value !== 'number') continue;
        this.values.push({
          namespace: directive.Namespace,
          regionKey,
          name: metric.Name as string,
          value,
          unit: metric.Unit ?? 'None',
        });
      }
    }
  };

  /** Everything collected since the previous drain. */
  drain(): readonly EmfValue[] {
    const out = this.values;
    this.values = [];
    return out;
  }
}
