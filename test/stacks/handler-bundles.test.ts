import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultTopology } from '../../core/topology.js';
import { addChatStacks } from '../../stacks/app.js';
import { bundleHandlers, HANDLERS } from '../../stacks/handler-bundles.js';

const work = mkdtempSync(join(tmpdir(), 'chatctl-handler-bundles-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const bundleTime = (directory: string) => statSync(join(directory, 'send', 'index.mjs')).mtimeMs;

describe('handler bundles', { timeout: 300_000 }, () => {
  it('handler bundles: every handler once; the same sources again come from the cache, a changed input bundles again', async () => {
    const cacheDir = join(work, 'cache');
    const first = await bundleHandlers(resolve('.'), { cacheDir });
    for (const name of HANDLERS) {
      expect(readdirSync(join(first.directory, name)).sort()).toEqual(['index.mjs', 'index.mjs.map']);
    }
    const built = bundleTime(first.directory);

    const again = await bundleHandlers(resolve('.'), { cacheDir });
    expect(again.directory).toBe(first.directory);
    expect(bundleTime(again.directory)).toBe(built);

    // An input whose recorded hash no longer matches (as after an edit) makes the cache stale.
    const record = join(first.directory, 'inputs.json');
    const { inputs } = JSON.parse(readFileSync(record, 'utf8')) as { inputs: Record<string, string> };
    expect(inputs['runtime/handlers/send.ts']).toMatch(/^[0-9a-f]{64}$/);
    inputs['runtime/handlers/send.ts'] = '0'.repeat(64);
    writeFileSync(record, JSON.stringify({ inputs }));
    const rebuilt = await bundleHandlers(resolve('.'), { cacheDir });
    expect(bundleTime(rebuilt.directory)).toBeGreaterThan(built);
    const recorded = JSON.parse(readFileSync(record, 'utf8')).inputs['runtime/handlers/send.ts'];
    expect(recorded).toMatch(/^[0-9a-f]{64}$/);
    expect(recorded).not.toBe('0'.repeat(64));
  });

  it('handler bundles: one asset per handler however many regions the app has', async () => {
    const bundles = await bundleHandlers(resolve('.'), { cacheDir: join(work, 'cache') });
    const assetsFor = (regions: number) => {
      const base = defaultTopology({ target: 'aws' });
      const extra = [
        { key: 'sydney', awsRegion: 'ap-southeast-2', probeSubnet: '1.128.0.0/24' },
        { key: 'frankfurt', awsRegion: 'eu-central-1', probeSubnet: '91.0.0.0/24' },
      ];
      const app = new App({ outdir: join(work, `out-${regions}`) });
      addChatStacks(
        app,
        { ...base, account: '123456789012', regions: [...base.regions, ...extra].slice(0, regions) },
        { code: { kind: 'bundle', bundles } },
      );
      return readdirSync(app.synth().directory).filter((name) => name.startsWith('asset.')).length;
    };
    // The handlers of the WebSocket routes alone are more than ten, each one asset for all regions.
    const three = assetsFor(3);
    expect(three).toBeGreaterThan(10);
    expect(assetsFor(5)).toBe(three);
  });
});
