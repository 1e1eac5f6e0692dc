/**
 * The surge drill's report: Markdown with both runs side by side, the JSON result, and an SVG timeline per run
 * (the load level, send ack p99 and the connect shed rate, second by second). `--report FILE.md` writes
 * FILE.md, FILE.json and FILE.svg; `--report FILE.json` only the JSON.
 */
import { basename } from 'node:path';
import { writeReportFiles } from './report.js';
import type { SurgeDrillResult, SurgeRun, TimelinePoint } from './surge.js';

const pct = (rate: number) => `${(rate * 100).toFixed(1)}%`;

function runRow(name: string, run: SurgeRun): string {
  const s = run.summary;
  const throttles = run.lanes.reduce((a, l) => a + l.throttles, 0);
  return `| ${name} | ${s.sends} | ${s.ackP50Ms} / ${s.ackP99Ms} | ${s.deliveryP50Ms} / ${s.deliveryP99Ms} | ${pct(s.connectSuccessRate)} | ${pct(s.connectShedRate)} | ${throttles} | ${run.peakLevel} | ${run.recoveredAfterS === null ? 'no' : `${run.recoveredAfterS} s`} |`;
}

function lanesTable(result: SurgeDrillResult): string[] {
  const on = result.runs.autoOn.lanes;
  const off = result.runs.autoOff.lanes;
  return [
    '| lane | reserved | throttles (auto on) | peak concurrency (auto on) | throttles (auto off) | peak concurrency (auto off) |',
    '|---|---|---|---|---|---|',
    ...on.map((lane, i) => {
      const other = off[i];
      return `| ${lane.route} | ${lane.reserved} | ${lane.throttles} | ${lane.peakConcurrency} | ${other?.throttles ?? 0} | ${other?.peakConcurrency ?? 0} |`;
    }),
  ];
}

export function surgeMarkdown(result: SurgeDrillResult, svgFile?: string): string {
  const levels = (run: SurgeRun) =>
    run.levels.length === 0
      ? 'none'
      : run.levels.map((l) => `${l.t} s: ${l.level}${l.setBy ? ` (${l.setBy})` : ''}`).join(', ');
  return [
    `# Surge drill: ${result.region}, ${result.profile}`,
    '',
    `Verdict: **${result.verdict}**${result.reasons.length > 0 ? ` (${result.reasons.join('; ')})` : ''}.`,
    `Passed means: with traffic auto on, send ack p99 under ${result.thresholdMs} ms while lower-priority work is shed, and the level back to 0 after the surge.`,
    '',
    ...result.notes.map((n) => `- ${n}`),
    '',
    `The same ${result.durationMs / 1000} s of load twice: traffic auto on, then off.`,
    '',
    '| run | sends | ack p50 / p99 ms | delivery p50 / p99 ms | connect success | connect shed | throttles | peak level | back to 0 |',
    '|---|---|---|---|---|---|---|---|---|',
    runRow('auto on', result.runs.autoOn),
    runRow('auto off', result.runs.autoOff),
    '',
    `Difference (off - on): ack p99 ${result.difference.ackP99Ms} ms, delivery p99 ${result.difference.deliveryP99Ms} ms, throttles ${result.difference.throttles}; connect shed rate (on - off) ${pct(result.difference.connectShedRate)}.`,
    '',
    ...lanesTable(result),
    '',
    `Levels the controller chose (auto on): ${levels(result.runs.autoOn)}.`,
    `Levels during the auto off run: ${levels(result.runs.autoOff)}.`,
    ...(svgFile ? ['', `![timeline](${basename(svgFile)})`] : []),
    '',
  ].join('\n');
}

/** One panel per run: level (steps, 0-3), send ack p99 (ms) and connect shed rate (%), on a shared time axis. */
export function surgeSvg(result: SurgeDrillResult): string {
  const width = 760;
  const panel = 200;
  const pad = { left: 56, right: 56, top: 28, bottom: 28 };
  const runs: [string, SurgeRun][] = [
    ['traffic auto on', result.runs.autoOn],
    ['traffic auto off', result.runs.autoOff],
  ];
  const maxT = Math.max(1, ...runs.flatMap(([, r]) => r.timeline.map((p) => p.t)));
  const maxMs = Math.max(result.thresholdMs, ...runs.flatMap(([, r]) => r.timeline.map((p) => p.ackP99Ms)));
  const innerW = width - pad.left - pad.right;
  const innerH = panel - pad.top - pad.bottom;
  const x = (t: number) => pad.left + (t / maxT) * innerW;
  const line = (
    points: readonly TimelinePoint[],
    value: (p: TimelinePoint) => number,
    max: number,
    top: number,
  ) =>
    points
      .map((p) => `${x(p.t).toFixed(1)},${(top + pad.top + innerH - (value(p) / max) * innerH).toFixed(1)}`)
      .join(' ');
  const panels = runs.map(([title, run], i) => {
    const top = i * panel;
    const y0 = top + pad.top + innerH;
    const thresholdY = y0 - (result.thresholdMs / maxMs) * innerH;
    return [
      `<text x="${pad.left}" y="${top + 16}" font-weight="bold">${title}</text>`,
      `<line x1="${pad.left}" y1="${y0}" x2="${width - pad.right}" y2="${y0}" stroke="#999"/>`,
      `<line x1="${pad.left}" y1="${thresholdY.toFixed(1)}" x2="${width - pad.right}" y2="${thresholdY.toFixed(1)}" stroke="#c00" stroke-dasharray="4 4"/>`,
      `<text x="4" y="${(top + pad.top + 8).toFixed(1)}" fill="#1f77b4">${Math.round(maxMs)} ms</text>`,
      `<text x="${width - pad.right + 4}" y="${(top + pad.top + 8).toFixed(1)}" fill="#2ca02c">L3 / 100%</text>`,
      `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${line(run.timeline, (p) => p.ackP99Ms, maxMs, top)}"/>`,
      `<polyline fill="none" stroke="#2ca02c" stroke-width="2" points="${line(run.timeline, (p) => p.level, 3, top)}"/>`,
      `<polyline fill="none" stroke="#ff7f0e" stroke-width="2" stroke-dasharray="2 2" points="${line(run.timeline, (p) => p.shedRate, 1, top)}"/>`,
      `<text x="${width - pad.right}" y="${y0 + 18}" text-anchor="end">${maxT} s</text>`,
    ].join('\n');
  });
  const height = panel * runs.length + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...panels,
    `<text x="${pad.left}" y="${height - 6}"><tspan fill="#1f77b4">send ack p99</tspan>  <tspan fill="#2ca02c">load level</tspan>  <tspan fill="#ff7f0e">connect shed rate</tspan>  <tspan fill="#c00">p99 threshold</tspan></text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** Writes FILE.md + FILE.json + FILE.svg (or FILE.json alone); returns the paths. */
export function writeSurgeReport(
  file: string,
  result: SurgeDrillResult,
): Promise<{ markdown?: string; json: string; svg?: string }> {
  return writeReportFiles(
    file,
    result,
    () => surgeSvg(result),
    (svgName) => surgeMarkdown(result, svgName),
  );
}
