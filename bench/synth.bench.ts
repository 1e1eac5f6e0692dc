/**
 * Synth wall time and peak memory (max RSS) for 3 and 6 regions, each in a fresh Node process: the CDK app
 * built in-process and synthesized without bundling (the infrastructure only), and `chatctl synth --no-bundle`
 * end to end (toolkit-lib + cdk-nag). Needs the build (`npm run bench` builds first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultTopology, serializeTopology, type Topology } from '../core/topology.js';
import { fmt, row } from './support.js';

const EXTRA_REGIONS = [
  { key: 'sydney', awsRegion: 'ap-southeast-2', probeSubnet: '1.128.0.0/24' },
  { key: 'frankfurt', awsRegion: 'eu-central-1', probeSubnet: '91.0.0.0/24' },
  { key: 'virginia', awsRegion: 'us-east-1', probeSubnet: '3.80.0.0/24' },
];

function topologyOf(regions: number): Topology {
  const base = defaultTopology({ target: 'aws' });
  return { ...base, account: '123456789012', regions: [...base.regions, ...EXTRA_REGIONS].slice(0, regions) };
}

interface Measured {
  wallMs: number;
  maxRssMiB: number;
}

/** Runs `script` in a fresh node; the script prints nothing; wall time is measured around the process. */
function measure(args: string[], env: NodeJS.ProcessEnv = {}): Measured {
  const start = performance.now();
  const result = spawnSync('node', args, {
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - start;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed:\n${result.stderr}`);
  const rss = /MAXRSS_KB=(\d+)/.exec(result.stderr);
  return { wallMs, maxRssMiB: rss ? Number(rss[1]) / 1024 : Number.NaN };
}

/** A preload that prints the process's peak RSS when it exits. */
function rssReporter(dir: string): string {
  const file = join(dir, 'report-rss.mjs');
  writeFileSync(
    file,
    "process.on('exit', () => process.stderr.write('MAXRSS_KB=' + process.resourceUsage().maxRSS + '\\n'));\n",
  );
  return pathToFileURL(file).href;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'chatctl-synth-bench-'));
  try {
    const preload = rssReporter(dir);
    const appModule = pathToFileURL(resolve('dist/stacks/app.js')).href;
    for (const regions of [3, 6]) {
      const topologyFile = join(dir, `chatctl-${regions}.json`);
      writeFileSync(topologyFile, serializeTopology(topologyOf(regions)));
      const script = `
        import { readFileSync } from 'node:fs';
        import { App } from 'aws-cdk-lib';
        import { addChatStacks } from ${JSON.stringify(appModule)};
        const app = new App({ outdir: ${JSON.stringify(join(dir, `out-${regions}`))} });
        addChatStacks(app, JSON.parse(readFileSync(${JSON.stringify(topologyFile)}, 'utf8')), { code: { kind: 'placeholder' } });
        app.synth();`;
      const inProcess = measure(['--import', preload, '--input-type=module', '-e', script]);
      row(
        `in-process app.synth(), ${regions} regions, no bundling`,
        `${fmt(inProcess.wallMs)}, peak RSS ${inProcess.maxRssMiB.toFixed(0)} MiB`,
      );
      const cli = measure(
        [
          '--import',
          preload,
          'bin/run.js',
          'synth',
          '--no-bundle',
          '--json',
          '--config',
          topologyFile,
          '--out',
          join(dir, `cli-${regions}`),
        ],
        {},
      );
      row(
        `chatctl synth --no-bundle, ${regions} regions`,
        `${fmt(cli.wallMs)}, peak RSS ${cli.maxRssMiB.toFixed(0)} MiB`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
