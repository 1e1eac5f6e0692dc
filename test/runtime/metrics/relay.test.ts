import { describe, expect, it } from 'vitest';
import { defaultMetricSink, emfLine } from '../../../runtime/metrics/emf.js';
import { withRelayMetrics } from '../../../runtime/metrics/relay.js';

const config = { regionKey: 'tokyo', metricsNamespace: 'chatctl/test' };

function recorder() {
  const lines: Record<string, unknown>[] = [];
  return { lines, sink: (line: string) => lines.push(JSON.parse(line)) };
}

describe('relay metrics (embedded metric format)', () => {
  it('emfLine: one document with the namespace, the Region dimension and each metric as a top-level value', () => {
    const doc = JSON.parse(
      emfLine('chatctl/test', 'seoul', [{ name: 'RelayErrors', value: 1, unit: 'Count' }], 1700000000000, {
        error: 'x',
      }),
    );
    expect(doc).toEqual({
      _aws: {
        Timestamp: 1700000000000,
        CloudWatchMetrics: [
          {
            Namespace: 'chatctl/test',
            Dimensions: [['Region']],
            Metrics: [{ Name: 'RelayErrors', Unit: 'Count' }],
          },
        ],
      },
      error: 'x',
      Region: 'seoul',
      RelayErrors: 1,
    });
  });

  it('relay: a delivered relay counts an invocation and no error; a failed post or a throw counts an error', async () => {
    const { lines, sink } = recorder();
    await withRelayMetrics(config, sink, async () => ({ ok: true, region: 'tokyo', delivered: 2 }));
    await withRelayMetrics(config, sink, async () => ({
      ok: true,
      region: 'tokyo',
      delivered: 1,
      failed: 1,
    }));
    await expect(
      withRelayMetrics(config, sink, async () => {
        throw new Error('table unreachable');
      }),
    ).rejects.toThrow('table unreachable');
    expect(lines.map((l) => [l.RelayInvocations, l.RelayErrors])).toEqual([
      [1, 0],
      [1, 1],
      [1, 1],
    ]);
    expect(lines[2]).toMatchObject({ Region: 'tokyo', error: 'Error: table unreachable' });
  });

  it('relay: a dry run (the /health probe) is not counted', async () => {
    const { lines, sink } = recorder();
    await withRelayMetrics(config, sink, async () => ({ ok: true, region: 'tokyo', dryRun: true }));
    expect(lines).toEqual([]);
  });

  it('defaultMetricSink: writes only on Lambda (a sandbox run must not flood the terminal)', () => {
    const writes: string[] = [];
    const original = process.stdout.write;
    process.stdout.write = ((chunk: string) => writes.push(chunk) > 0) as typeof process.stdout.write;
    try {
      defaultMetricSink({})('{"off":1}');
      defaultMetricSink({ AWS_LAMBDA_FUNCTION_NAME: 'chat-tokyo-relay' })('{"on":1}');
    } finally {
      process.stdout.write = original;
    }
    expect(writes).toEqual(['{"on":1}\n']);
  });
});
