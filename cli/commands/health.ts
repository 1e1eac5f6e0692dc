import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../base.js';
import { durationFlag, regionInput } from '../flags.js';
import { type AnyCheck, exitCodeOf, type HealthResult } from '../ops/checks/verdict.js';
import { color, formatMs, statusWord, table } from '../output.js';

const COLUMNS = [
  ['websocket', 'WEBSOCKET'],
  ['health', '/HEALTH'],
  ['route53', 'ROUTE 53'],
  ['replica', 'REPLICA'],
  ['replication', 'REPLICATION'],
  ['relay', 'RELAY'],
  ['load', 'LOAD'],
  ['alarms', 'ALARMS'],
  ['canary', 'CANARY'],
] as const;

export default class Health extends ChatctlCommand<typeof Health, HealthResult> {
  static override summary =
    'Check every region at once: WebSocket, /health, Route 53, replica, replication, relay, load, alarms, canary.';
  static override description =
    'Every check of every region runs in parallel with its own timeout, so a dead region costs at most --timeout. ' +
    'Exit code 0 healthy, 1 degraded (a check failed but every region serves chat), 2 critical (a region does ' +
    'not serve chat). Each problem comes with the action to take.';
  static override examples = [
    '<%= config.bin %> health',
    '<%= config.bin %> health --region tokyo --timeout 2000',
    '<%= config.bin %> health --json',
    '<%= config.bin %> health --watch 10',
  ];
  static override flags = {
    region: regionInput(
      Flags.string({ description: 'check only this region (the China proxy is then skipped)' }),
    ),
    timeout: durationFlag({ description: 'time limit of each check', default: 5000, min: 100, max: 120_000 }),
    watch: durationFlag({
      description: 'run again at this interval (with --json: one JSON line per run)',
      min: 1000,
      bare: 's',
    }),
    'skip-replication': Flags.boolean({
      description: 'skip the replication canary (it writes one item per region)',
    }),
  };

  protected async execute(): Promise<HealthResult> {
    const [{ openTarget }, { runHealth }] = await Promise.all([
      import('../ops/target.js'),
      import('../ops/checks/health.js'),
    ]);
    const target = await openTarget(await this.topology());
    if (this.flags.region) target.region(this.flags.region); // a bad key is a UserError before any probe
    const options = {
      region: this.flags.region,
      timeoutMs: this.flags.timeout,
      replication: !this.flags['skip-replication'],
    };
    if (!this.flags.watch) return runHealth(target, options);
    for (;;) {
      const result = await runHealth(target, options);
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        if (process.stdout.isTTY) process.stdout.write('\u001b[2J\u001b[H');
        this.render(result);
        this.log(
          color.dim(`\n${new Date().toISOString()}: again in ${formatMs(this.flags.watch)} (Ctrl-C to stop)`),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.flags.watch));
    }
  }

  protected override render(result: HealthResult): void {
    this.log(renderHealth(result));
  }

  protected override exitCodeFor(result: HealthResult): number {
    return exitCodeOf(result.verdict);
  }
}

function cell(check: AnyCheck | undefined): string {
  if (!check) return color.dim('-');
  if (check.status === 'skip') return statusWord('skip', 'skip');
  let figure = check.latencyMs === undefined ? '' : ` ${formatMs(check.latencyMs)}`;
  if (check.name === 'load') {
    const setBy = check.data?.setBy;
    figure = ` L${check.data?.level ?? '?'}${setBy ? ` ${setBy}` : ''}`;
  }
  if (check.name === 'alarms') figure = ` ${(check.data?.alarms ?? []).length}`;
  if (check.name === 'route53' && check.data && 'drained' in check.data && check.data.drained)
    figure = ' drained';
  return statusWord(check.status, `${check.status}${figure}`);
}

const VERDICT_COLOR = { healthy: color.green, degraded: color.yellow, critical: color.red } as const;
const REGION_STATUS = { ok: 'ok', degraded: 'warn', down: 'fail' } as const;

export function renderHealth(result: HealthResult): string {
  const lines: string[] = [];
  lines.push(
    table([
      ['REGION', 'STATUS', ...COLUMNS.map(([, title]) => title)],
      ...result.regions.map((region) => [
        `${region.key} ${color.dim(region.awsRegion)}`,
        statusWord(REGION_STATUS[region.status], region.status),
        ...COLUMNS.map(([name]) => cell(region.checks.find((c) => c.name === name))),
      ]),
    ]),
  );
  const china = result.china;
  if (china.enabled && china.checks.length > 0) {
    const parts = china.checks.map((c) => `${c.name} ${cell(c)}`);
    lines.push(
      `\nchina proxy: ${statusWord(china.status === 'down' ? 'fail' : china.status === 'degraded' ? 'warn' : 'ok', china.status)}` +
        `${china.followsDns ? ' (origin follows latency DNS)' : china.origin ? ` (origin ${china.origin})` : ''}  ${parts.join('  ')}`,
    );
  } else if (!china.enabled) lines.push(color.dim('\nchina proxy: disabled'));
  if (result.engine) lines.push(`sandbox engine: ${cell(result.engine)}  ${color.dim(result.engine.detail)}`);
  lines.push(
    `\n${VERDICT_COLOR[result.verdict].bold(result.verdict.toUpperCase())} in ${formatMs(result.elapsedMs)} ` +
      color.dim(`(${result.target}, timeout ${result.timeoutMs} ms per check)`),
  );
  for (const p of result.problems) {
    lines.push(
      `  ${statusWord(p.status, p.status === 'fail' ? 'x' : '!')} ${p.scope}: ${p.check}: ${p.message}`,
    );
    lines.push(`    ${color.dim('->')} ${p.action}`);
  }
  return lines.join('\n');
}
