/**
 * The sandbox's metric math, evaluated on series built by hand: precedence, timestamps that align only
 * where both series have a point, division by zero, IF without a false branch, FILL's three ways, the
 * reductions to a scalar, and the refusals (a ValidationError naming what is not supported).
 */
import { describe, expect, it } from 'vitest';
import {
  evaluateExpression,
  type MathValue,
  parseExpression,
  type Series,
} from '../../../../sandbox/services/cloudwatch/math.js';

const grid = [0, 60, 120, 180, 240];
const series = (points: Record<number, number>): Series =>
  new Map(Object.entries(points).map(([t, v]) => [Number(t), v]));

function run(expression: string, values: Record<string, MathValue> = {}): MathValue {
  return evaluateExpression(parseExpression(expression), {
    resolve: (id) => values[id] ?? new Map(),
    grid,
  });
}

const points = (value: MathValue) => (typeof value === 'number' ? value : Object.fromEntries(value));

describe('metric math', () => {
  it('math: numbers follow precedence, unary minus and ^ as CloudWatch does', () => {
    expect(run('1 + 2 * 3')).toBe(7);
    expect(run('(1 + 2) * 3')).toBe(9);
    expect(run('-2 ^ 2')).toBe(-4);
    expect(run('2 ^ 3 ^ 2')).toBe(512);
    expect(run('10 - 4 - 3')).toBe(3);
    expect(run('1 < 2 AND NOT 3 == 4 || 0')).toBe(1);
    expect(run('2 >= 3 OR 1 != 1')).toBe(0);
  });

  it('math: two series combine only at the timestamps both have; a division by zero is no point', () => {
    const c = series({ 0: 1, 60: 2, 120: 3 });
    const m = series({ 0: 10, 60: 0, 180: 5 });
    expect(points(run('c / m', { c, m }))).toEqual({ 0: 0.1 });
    expect(points(run('100 * c / 4', { c }))).toEqual({ 0: 25, 60: 50, 120: 75 });
  });

  it('math: IF picks per timestamp, and without a false branch leaves no point where false', () => {
    const c = series({ 0: 1, 60: 2, 120: 3 });
    const m = series({ 0: 10, 60: 0, 120: 20 });
    expect(points(run('IF(m > 0, 100 * c / m, 0)', { c, m }))).toEqual({ 0: 10, 60: 0, 120: 15 });
    expect(points(run('IF(m > 0, c)', { c, m }))).toEqual({ 0: 1, 120: 3 });
    expect(points(run('IF(m > 5 AND c < 3, 1, -1)', { c, m }))).toEqual({ 0: 1, 60: -1, 120: -1 });
  });

  it('math: FILL gives a point at every period, with a value, REPEAT or LINEAR', () => {
    const r = series({ 60: 2, 180: 6 });
    expect(points(run('FILL(r, 0) + FILL(w, 0)', { r }))).toEqual({ 0: 0, 60: 2, 120: 0, 180: 6, 240: 0 });
    expect(points(run('FILL(r, REPEAT)', { r }))).toEqual({ 60: 2, 120: 2, 180: 6, 240: 6 });
    expect(points(run('FILL(r, LINEAR)', { r }))).toEqual({ 60: 2, 120: 4, 180: 6 });
  });

  it('math: ABS is per point; MIN, MAX, SUM and AVG reduce a series to a scalar', () => {
    const x = series({ 0: -3, 60: 1, 120: 5 });
    expect(points(run('ABS(x)', { x }))).toEqual({ 0: 3, 60: 1, 120: 5 });
    expect(run('SUM(x)', { x })).toBe(3);
    expect(run('AVG(x)', { x })).toBe(1);
    expect(run('MIN(x)', { x })).toBe(-3);
    expect(points(run('x - MAX(x)', { x }))).toEqual({ 0: -8, 60: -4, 120: 0 });
    expect(points(run('SUM(none)'))).toEqual({});
  });

  it('math: what is not supported is refused with a ValidationError that names it', () => {
    expect(() => parseExpression('ANOMALY_DETECTION_BAND(m1, 2)')).toThrow(
      expect.objectContaining({
        code: 'ValidationError',
        message: expect.stringMatching(/ANOMALY_DETECTION_BAND/),
      }),
    );
    expect(() => parseExpression("SEARCH('{AWS/Lambda} Errors', 'Sum', 60)")).toThrow(/SEARCH/);
    expect(() => parseExpression('[m1, m2]')).toThrow(/Arrays/);
    expect(() => parseExpression('m1 +')).toThrow(/ends too early/);
    expect(() => parseExpression('IF(m1)')).toThrow(/IF takes 2 or 3 arguments/);
    expect(() => parseExpression('m1 m2')).toThrow(/Unexpected "m2"/);
  });
});
