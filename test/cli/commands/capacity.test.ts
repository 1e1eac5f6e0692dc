// Runs the built CLI (`npm test` builds first) as a user would, in a fresh folder.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { defaultTopology, serializeTopology } from '../../../core/topology.js';

const bin = resolve('bin/run.js');
let cwd: string;

function chatctl(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.CHATCTL_CONFIG;
  const result = spawnSync('node', [bin, ...args], { cwd, encoding: 'utf8', env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'chatctl-capacity-'));
});

/** The worked example of docs/capacity.md: KakaoTalk's World Cup peak on the default three regions. */
const WORKED_EXAMPLE = [
  'capacity',
  '--peak-msgs',
  '427000',
  '--avg-room',
  '8',
  '--cross-region-share',
  '0.02',
];

describe('cli capacity', () => {
  it('capacity: the worked example breaks every default quota and prints the month; --json and --report agree', async () => {
    const text = chatctl(...WORKED_EXAMPLE, '--report', 'plan.md');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      /seoul\s+apigateway: WebSocket new connections rate\s+L-9ED1E49A\s+[\d,]+\s+500\s+OVER/,
    );
    expect(text.stdout).toMatch(/na\s+dynamodb: Table-level write throughput limit\s+L-AB614373/);
    expect(text.stdout).toMatch(/all regions\s+\$[\d,]+/);
    const report = await readFile(join(cwd, 'plan.md'), 'utf8');
    expect(report).toMatch(/^# Capacity plan: 427,000 messages\/s at the peak/);
    expect(report).toContain('| seoul | apigateway: Throttle rate | L-8A5B8E43 |');
    const json = chatctl(...WORKED_EXAMPLE, '--json');
    expect(json.code).toBe(0);
    const { plan } = JSON.parse(json.stdout) as {
      plan: { quotas: { verdict: string }[]; totalMonthlyUsd: number };
    };
    expect(plan.quotas).toHaveLength(15);
    expect(plan.quotas.every((q) => q.verdict === 'over')).toBe(true);
    expect(report).toContain(`$${Math.round(plan.totalMonthlyUsd).toLocaleString('en-US')}`);
  });

  it('capacity: bad flags are refused naming the flag, with exit code 2 and nothing written', async () => {
    const negative = chatctl('capacity', '--peak-msgs=-5', '--report', 'plan.md');
    expect(negative.code).toBe(2);
    expect(negative.stderr).toContain('Error: --peak-msgs must be greater than 0 (got -5)');
    const shares = chatctl(
      'capacity',
      '--peak-msgs',
      '100',
      '--region-share',
      'seoul=0.5',
      '--region-share',
      'tokyo=0.3',
      '--region-share',
      'na=0.1',
    );
    expect(shares.code).toBe(2);
    expect(shares.stderr).toContain('--region-share shares sum to 0.9; they must sum to 1');
    const word = chatctl('capacity', '--peak-msgs', 'lots', '--json');
    expect(word.code).toBe(2);
    expect(JSON.parse(word.stdout).error.message).toBe('--peak-msgs takes a number');
    await expect(readFile(join(cwd, 'plan.md'))).rejects.toThrow();
  });

  it('capacity: plans from the profile saved in chatctl.json; a bad profile names the field', async () => {
    const topology = {
      ...defaultTopology(),
      capacity: { peakMsgs: 45_000, regionShare: { seoul: 0.8, tokyo: 0.15, na: 0.05 } },
    };
    await writeFile(join(cwd, 'chatctl.json'), serializeTopology(topology));
    const saved = chatctl('capacity', '--json');
    expect(saved.code, saved.stderr).toBe(0);
    const { plan } = JSON.parse(saved.stdout);
    expect(plan.input).toMatchObject({
      peakMsgs: 45_000,
      regionShare: { seoul: 0.8, tokyo: 0.15, na: 0.05 },
    });
    expect(plan.input.from).toMatchObject({ peakMsgs: 'profile', regionShare: 'profile' });
    const bad = JSON.stringify({ ...topology, capacity: { peakMsgs: 45_000, regionShare: { seoul: 0.8 } } });
    await writeFile(join(cwd, 'chatctl.json'), bad);
    const refused = chatctl('capacity');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('capacity.regionShare: the shares sum to 0.8; they must sum to 1');
    expect(await readFile(join(cwd, 'chatctl.json'), 'utf8')).toBe(bad);
  });

  it('capacity --prices: prints each price with its basis, date and source', () => {
    const text = chatctl('capacity', '--prices');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Prices: ap-northeast-2/);
    expect(text.stdout).toMatch(
      /DynamoDB write request units\s+0\.68\s+per million write request units\s+price-list\s+2026-06-12/,
    );
    const json = JSON.parse(chatctl('capacity', '--prices', '--json').stdout);
    expect(json.prices['us-west-2'].interRegionPerGb).toMatchObject({ usd: 0.02, per: 'per GB' });
  });
});
