/**
 * Small SVG pictures drawn as strings, shared by the console page (sandbox/console/page/) and the CLI's
 * reports (a drill's timeline, the replication heat map): one drawing for each, in the browser and in a file.
 */

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Green at 0, through yellow, to red at `max` and beyond. */
export function heatColor(value: number, max: number): string {
  const t = max <= 0 ? 0 : Math.min(1, Math.max(0, value / max));
  return `hsl(${Math.round(120 * (1 - t))}, 70%, 45%)`;
}

export interface HeatMapCell {
  readonly from: string;
  readonly to: string;
  /** The lag in ms (the colour). */
  readonly ms: number;
  /** A second line in the cell, e.g. "12 pending". */
  readonly note?: string;
}

export interface HeatMapOptions {
  readonly title: string;
  /** Row (from) and column (to) labels, in order. */
  readonly regions: readonly string[];
  readonly cells: readonly HeatMapCell[];
  /** The lag that is fully red. */
  readonly maxMs: number;
  /** Regions drawn with a marked label (a paused region). */
  readonly marked?: readonly string[];
  readonly markNote?: string;
}

/** The lag matrix: one row per source region, one column per destination, each cell coloured by its lag. */
export function heatMapSvg(options: HeatMapOptions): string {
  const cellW = 96;
  const cellH = 44;
  const left = 110;
  const top = 56;
  const n = options.regions.length;
  const width = left + n * cellW + 16;
  const height = top + n * cellH + 40;
  const marked = new Set(options.marked ?? []);
  const label = (key: string) => escapeXml(marked.has(key) ? `${key} (paused)` : key);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12" role="img" aria-label="${escapeXml(options.title)}">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`,
    `<text x="${left}" y="40" fill="#555">to →</text>`,
    `<text x="8" y="40" fill="#555">from ↓</text>`,
  ];
  options.regions.forEach((to, col) => {
    const fill = marked.has(to) ? '#b00' : '#222';
    parts.push(
      `<text x="${left + col * cellW + cellW / 2}" y="${top - 4}" text-anchor="middle" fill="${fill}">${label(to)}</text>`,
    );
  });
  options.regions.forEach((from, row) => {
    const y = top + row * cellH;
    const fill = marked.has(from) ? '#b00' : '#222';
    parts.push(`<text x="8" y="${y + cellH / 2 + 4}" fill="${fill}">${label(from)}</text>`);
    options.regions.forEach((to, col) => {
      const x = left + col * cellW;
      if (from === to) {
        parts.push(`<rect x="${x}" y="${y}" width="${cellW - 2}" height="${cellH - 2}" fill="#eee"/>`);
        return;
      }
      const cell = options.cells.find((c) => c.from === from && c.to === to);
      const ms = cell?.ms ?? 0;
      const stroke = marked.has(from) || marked.has(to) ? ' stroke="#b00" stroke-width="2"' : '';
      parts.push(
        `<g data-pair="${escapeXml(`${from}>${to}`)}" data-ms="${Math.round(ms)}">`,
        `<rect x="${x}" y="${y}" width="${cellW - 2}" height="${cellH - 2}" fill="${heatColor(ms, options.maxMs)}"${stroke}/>`,
        `<text x="${x + cellW / 2 - 1}" y="${y + 18}" text-anchor="middle" fill="#fff" font-weight="bold">${formatMs(ms)}</text>`,
        cell?.note
          ? `<text x="${x + cellW / 2 - 1}" y="${y + 33}" text-anchor="middle" fill="#fff">${escapeXml(cell.note)}</text>`
          : '',
        '</g>',
      );
    });
  });
  if (options.markNote && marked.size > 0) {
    parts.push(`<text x="8" y="${height - 12}" fill="#b00">${escapeXml(options.markNote)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

export interface TimelineStep {
  readonly label: string;
  /** ms since the timeline's start. */
  readonly startMs: number;
  readonly endMs: number;
  readonly ok?: boolean;
}

export interface TimelineMark {
  readonly label: string;
  readonly atMs: number;
}

/** Steps as bars on one time axis, with marks (e.g. "DNS shifted") as vertical lines. */
export function timelineSvg(options: {
  readonly title: string;
  readonly steps: readonly TimelineStep[];
  readonly marks?: readonly TimelineMark[];
}): string {
  const left = 220;
  const barW = 520;
  const rowH = 24;
  const top = 40;
  const marks = options.marks ?? [];
  const end = Math.max(1, ...options.steps.map((s) => s.endMs), ...marks.map((m) => m.atMs));
  const x = (ms: number) => left + (ms / end) * barW;
  const height = top + options.steps.length * rowH + 44 + marks.length * 14;
  const width = left + barW + 80;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12" role="img" aria-label="${escapeXml(options.title)}">`,
    `<title>${escapeXml(options.title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="20" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`,
  ];
  options.steps.forEach((step, i) => {
    const y = top + i * rowH;
    const w = Math.max(2, x(step.endMs) - x(step.startMs));
    const fill = step.ok === false ? '#c0392b' : '#2e86c1';
    parts.push(
      `<text x="8" y="${y + 15}">${escapeXml(step.label)}</text>`,
      `<rect x="${x(step.startMs)}" y="${y + 3}" width="${w}" height="${rowH - 8}" rx="3" fill="${fill}"/>`,
      `<text x="${x(step.startMs) + w + 4}" y="${y + 15}" fill="#555">${formatMs(step.endMs - step.startMs)}</text>`,
    );
  });
  const axisY = top + options.steps.length * rowH + 8;
  parts.push(
    `<line x1="${left}" y1="${axisY}" x2="${left + barW}" y2="${axisY}" stroke="#888"/>`,
    `<text x="${left}" y="${axisY + 14}" fill="#555">0</text>`,
    `<text x="${left + barW}" y="${axisY + 14}" text-anchor="end" fill="#555">${formatMs(end)}</text>`,
  );
  marks.forEach((mark, i) => {
    const mx = x(mark.atMs);
    parts.push(
      `<line x1="${mx}" y1="${top}" x2="${mx}" y2="${axisY}" stroke="#e67e22" stroke-dasharray="4 3"/>`,
      `<text x="${left}" y="${axisY + 30 + i * 14}" fill="#e67e22">${escapeXml(`${mark.label}: ${formatMs(mark.atMs)}`)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}

function formatMs(ms: number): string {
  return ms >= 10_000
    ? `${(ms / 1000).toFixed(0)} s`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${Math.round(ms)} ms`;
}
