/**
 * The relay's error metric: every relay invocation writes RelayInvocations = 1 and RelayErrors = 0 or 1 in
 * embedded metric format. An error is a relay that threw, answered not ok, or failed to post to a connection
 * that was not gone. A dry run (the /health probe) is not counted.
 */
import { CUSTOM_METRICS, metricsNamespace } from '../../core/observability.js';
import type { RuntimeConfig } from '../config.js';
import type { RelayResult } from '../notify/relay.js';
import { emfLine, type MetricSink } from './emf.js';

export function relayFailed(result: RelayResult): boolean {
  return !result.ok || (result.failed ?? 0) > 0;
}

export async function withRelayMetrics(
  config: Pick<RuntimeConfig, 'regionKey' | 'metricsNamespace'>,
  sink: MetricSink,
  relay: () => Promise<RelayResult>,
): Promise<RelayResult> {
  const publish = (failed: boolean, properties: Record<string, string | number> = {}) =>
    sink(
      emfLine(
        config.metricsNamespace ?? metricsNamespace('chat'),
        config.regionKey,
        [
          { name: CUSTOM_METRICS.relayInvocations, value: 1, unit: 'Count' },
          { name: CUSTOM_METRICS.relayErrors, value: failed ? 1 : 0, unit: 'Count' },
        ],
        Date.now(),
        properties,
      ),
    );
  let result: RelayResult;
  try {
    result = await relay();
  } catch (error) {
    publish(true, { error: String(error) });
    throw error;
  }
  if (!result.dryRun) {
    publish(
      relayFailed(result),
      result.error ? { error: result.error } : { failedPosts: result.failed ?? 0 },
    );
  }
  return result;
}
