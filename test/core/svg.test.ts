import { describe, expect, it } from 'vitest';
import { escapeXml, heatColor, heatMapSvg, timelineSvg } from '../../core/svg.js';

const cellOf = (svg: string, pair: string) =>
  new RegExp(`<g data-pair="${pair.replace('>', '&#62;')}" data-ms="(\\d+)"><rect[^>]*fill="([^"]+)"`).exec(
    svg,
  );

describe('core svg', () => {
  it('heat map: each pair coloured by its lag, green to red, with its note', () => {
    const svg = heatMapSvg({
      title: 'lag',
      regions: ['seoul', 'tokyo'],
      cells: [{ from: 'seoul', to: 'tokyo', ms: 5000, note: '3 pending' }],
      maxMs: 5000,
    });
    expect(cellOf(svg, 'seoul>tokyo')?.slice(1)).toEqual(['5000', 'hsl(0, 70%, 45%)']);
    expect(cellOf(svg, 'tokyo>seoul')?.slice(1)).toEqual(['0', 'hsl(120, 70%, 45%)']);
    expect(svg).toContain('3 pending');
    expect(svg).toContain('5.0 s');
    expect(cellOf(svg, 'seoul>seoul')).toBeNull();
  });

  it('heat map: a marked region is labelled and its pairs outlined', () => {
    const svg = heatMapSvg({
      title: 'lag',
      regions: ['seoul', 'na'],
      cells: [],
      maxMs: 1000,
      marked: ['na'],
      markNote: 'paused: na',
    });
    expect(svg).toContain('na (paused)');
    expect(svg).toContain('paused: na');
    expect(svg.match(/stroke="#b00"/g)).toHaveLength(2);
  });

  it('escape: labels cannot break out of the markup', () => {
    expect(escapeXml('<a href="x">&')).toBe('&#60;a href=&#34;x&#34;&#62;&#38;');
    const svg = timelineSvg({ title: '<script>', steps: [{ label: 'a&b', startMs: 0, endMs: 10 }] });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('a&#38;b');
  });

  it('timeline: bars scaled to the last end, marks placed at their time', () => {
    const svg = timelineSvg({
      title: 't',
      steps: [
        { label: 'one', startMs: 0, endMs: 500 },
        { label: 'two', startMs: 500, endMs: 1000, ok: false },
      ],
      marks: [{ label: 'shifted', atMs: 750 }],
    });
    // 520 px for 1000 ms from x=220: the second bar starts at 480, the mark at 610.
    expect(svg).toMatch(/<rect x="480" y="\d+" width="260"[^>]*fill="#c0392b"/);
    expect(svg).toMatch(/<line x1="610"/);
    expect(svg).toContain('shifted: 750 ms');
    expect(heatColor(-5, 100)).toBe('hsl(120, 70%, 45%)');
  });
});
