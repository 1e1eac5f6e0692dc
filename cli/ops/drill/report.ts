/**
 * What a team files after a game day: the drill's JSON result and a Markdown report (timeline, figures,
 * verdict), both built from the journal.
 */
import { mkdir } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import { timelineSvg } from '../../../core/svg.js';
import { writeFileAtomic } from '../../../core/topology.js';
import type { DrillJournal, StepStatus, Verdict } from './journal.js';

export interface DrillStepResult {
  readonly name: string;
  /** What the step does, in words. */
  readonly title: string;
  readonly status: StepStatus;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly detail: string | null;
}

export interface DrillResult {
  readonly id: string;
  readonly region: string;
  readonly verdict: Verdict;
  readonly steps: readonly DrillStepResult[];
  readonly timeToShiftMs: number | null;
  /** Observed: from the drain until a client reconnecting by the global name first landed elsewhere. */
  readonly timeToClientMovedMs: number | null;
  readonly clientMovedTo: string | null;
  /** The latest a client that honours the record's TTL moves: time to shift + TTL. */
  readonly clientMoveBoundMs: number | null;
  readonly dnsTtlSeconds: number | null;
  readonly timeToRestoreMs: number | null;
  /** Extra context (not part of the minimal shape): */
  readonly target: 'sandbox' | 'aws';
  readonly dryRun: boolean;
  readonly holdMs: number;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly shiftedTo: string | null;
  /** interval x threshold: the fastest a health-check change can show. */
  readonly floorMs: number;
  readonly endReason: string | null;
  readonly journal: string;
  readonly report?: { readonly markdown?: string; readonly json?: string; readonly svg?: string };
}

export function resultOf(
  journal: DrillJournal,
  extra: { floorMs: number; journalFile: string },
): DrillResult {
  return {
    id: journal.id,
    region: journal.region,
    verdict: journal.verdict ?? 'aborted',
    steps: journal.steps.map((s) => ({
      name: s.name,
      title: s.title,
      status: s.status,
      startedAt: s.startedAt ?? null,
      endedAt: s.endedAt ?? null,
      detail: s.detail ?? null,
    })),
    timeToShiftMs: journal.timeToShiftMs ?? null,
    timeToClientMovedMs: journal.timeToClientMovedMs ?? null,
    clientMovedTo: journal.clientMovedTo ?? null,
    clientMoveBoundMs: journal.clientMoveBoundMs ?? null,
    dnsTtlSeconds: journal.dnsTtlSeconds ?? null,
    timeToRestoreMs: journal.timeToRestoreMs ?? null,
    target: journal.target,
    dryRun: journal.dryRun,
    holdMs: journal.holdMs,
    startedAt: journal.startedAt,
    endedAt: journal.endedAt ?? null,
    shiftedTo: journal.shiftedTo ?? null,
    floorMs: extra.floorMs,
    endReason: journal.endReason ?? null,
    journal: extra.journalFile,
  };
}

const secs = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`;

function duration(startedAt: string | null, endedAt: string | null): string {
  if (!startedAt || !endedAt) return '-';
  return secs(Date.parse(endedAt) - Date.parse(startedAt));
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The steps as bars on one time axis from the drill's start; the shift and the restore are marked where
 * they were seen: the time to shift from the start of verify-dns (which waits for it), the time to restore
 * from the start of restore.
 */
export function timelineReport(result: DrillResult): string {
  const t0 = Date.parse(result.startedAt);
  const at = (iso: string | null) => (iso ? Math.max(0, Date.parse(iso) - t0) : undefined);
  const steps = result.steps
    .filter((s) => s.startedAt)
    .map((s) => {
      const startMs = at(s.startedAt) ?? 0;
      return {
        label: `${s.name} (${s.status})`,
        startMs,
        endMs: at(s.endedAt) ?? startMs,
        ok: s.status !== 'failed',
      };
    });
  const mark = (label: string, step: string, ms: number | null) => {
    const start = at(result.steps.find((s) => s.name === step)?.startedAt ?? null);
    return ms === null || start === undefined ? [] : [{ label, atMs: start + ms }];
  };
  return timelineSvg({
    title: `Failover drill ${result.id}: ${result.region}, ${result.verdict}${result.dryRun ? ' (dry run)' : ''}`,
    steps,
    marks: [
      ...mark(`shifted to ${result.shiftedTo ?? '-'}`, 'verify-dns', result.timeToShiftMs),
      ...mark('restored', 'restore', result.timeToRestoreMs),
    ],
  });
}

export function markdownReport(result: DrillResult, timelineFile?: string): string {
  const ratio = (ms: number | null) =>
    ms === null || result.floorMs <= 0 ? '' : ` (${(ms / result.floorMs).toFixed(2)}x the floor)`;
  const lines = [
    `# Failover drill ${result.id}`,
    '',
    `- Region: **${result.region}** (target: ${result.target}${result.dryRun ? ', dry run' : ''})`,
    `- Verdict: **${result.verdict}**${result.endReason ? ` (${result.endReason})` : ''}`,
    `- Started: ${result.startedAt}; ended: ${result.endedAt ?? '-'}`,
    `- Hold: ${secs(result.holdMs)}`,
    `- Users of ${result.region} went to: ${result.shiftedTo ?? '-'}`,
    `- Time to shift: ${secs(result.timeToShiftMs)}${ratio(result.timeToShiftMs)}`,
    `- Time until a client honouring the ${result.dnsTtlSeconds ?? '-'} s TTL had moved: ${secs(result.timeToClientMovedMs)} observed${result.clientMovedTo ? ` (to ${result.clientMovedTo})` : ''}; at most ${secs(result.clientMoveBoundMs)} (time to shift + TTL)`,
    `- Time to restore: ${secs(result.timeToRestoreMs)}${ratio(result.timeToRestoreMs)}`,
    `- Floor (health-check interval x failure threshold): ${secs(result.floorMs)}`,
    '',
    '## Timeline',
    '',
    ...(timelineFile ? [`![Timeline of the drill's steps](${timelineFile})`, ''] : []),
    '| # | step | status | started | took | detail |',
    '|---|---|---|---|---|---|',
    ...result.steps.map(
      (s, i) =>
        `| ${i + 1} | ${s.name} | ${s.status} | ${s.startedAt ?? '-'} | ${duration(s.startedAt, s.endedAt)} | ${cell(s.detail ?? '')} |`,
    ),
    '',
    `Journal: \`${result.journal}\``,
    '',
  ];
  return lines.join('\n');
}

/**
 * Writes the report: FILE.json gets the JSON result; any other FILE gets the Markdown report and, beside it,
 * the JSON result with the extension replaced by .json and the SVG timeline (.svg) it embeds.
 */
export async function writeReport(
  file: string,
  result: DrillResult,
): Promise<{ markdown?: string; json: string; svg?: string }> {
  return writeReportFiles(
    file,
    result,
    () => `${timelineReport(result)}\n`,
    (svgName) => markdownReport(result, svgName),
  );
}

/** A drill's report files (failover and surge alike): FILE.json alone, or FILE + FILE.json + FILE.svg. */
export async function writeReportFiles(
  file: string,
  result: unknown,
  svg: () => string,
  markdown: (svgName: string) => string,
): Promise<{ markdown?: string; json: string; svg?: string }> {
  await mkdir(dirname(file), { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (extname(file).toLowerCase() === '.json') {
    await writeFileAtomic(file, json);
    return { json: file };
  }
  const base = file.slice(0, file.length - extname(file).length);
  const jsonFile = `${base}.json`;
  const svgFile = `${base}.svg`;
  await writeFileAtomic(svgFile, svg());
  await writeFileAtomic(file, markdown(basename(svgFile)));
  await writeFileAtomic(jsonFile, json);
  return { markdown: file, json: jsonFile, svg: svgFile };
}
