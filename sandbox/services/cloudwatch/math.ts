/**
 * CloudWatch metric math in the sandbox: a parser and an evaluator for the subset the stacks' alarms and
 * dashboards use, plus what one expects next to it. Numbers, query ids, + - * / ^, unary minus,
 * parentheses, comparisons (== != < > <= >=) and AND/&&, OR/||, NOT/! (1 for true, 0 for false),
 * IF(condition, a[, b]), FILL(x, value | REPEAT | LINEAR), ABS, CEIL, FLOOR, and MIN/MAX/SUM/AVG of one
 * series to a scalar.
 *
 * Evaluated per timestamp as CloudWatch does: two series combine only where both have a point (FILL gives a
 * series a point at every period of the range); a result that is not a finite number (a division by zero)
 * is no point; IF without a false branch has no point where its condition is false. Anything else (SEARCH,
 * METRICS(), arrays, other functions) is refused with a ValidationError naming it.
 */
import { ServiceError } from '../../wire/service-error.js';

/** A time series: timestamp (ms) to value, in ascending timestamps. */
export type Series = ReadonlyMap<number, number>;
/** A value of an expression: a scalar or a series. */
export type MathValue = number | Series;

export type MathNode =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'id'; readonly name: string }
  | { readonly kind: 'keyword'; readonly name: 'REPEAT' | 'LINEAR' }
  | { readonly kind: 'unary'; readonly op: '-' | 'NOT'; readonly arg: MathNode }
  | { readonly kind: 'binary'; readonly op: string; readonly left: MathNode; readonly right: MathNode }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly MathNode[] };

const SUPPORTED = ['IF', 'FILL', 'ABS', 'CEIL', 'FLOOR', 'MIN', 'MAX', 'SUM', 'AVG'] as const;

export function mathError(message: string): never {
  throw new ServiceError(400, 'ValidationError', message);
}

// ---- tokens ----

type Token = {
  readonly type: 'number' | 'word' | 'op' | 'string';
  readonly text: string;
  readonly at: number;
};

const OPERATORS = [
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '^',
  '(',
  ')',
  ',',
  '!',
  '[',
  ']',
];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const space = /^\s+/.exec(rest)?.[0];
    if (space) {
      i += space.length;
      continue;
    }
    const number = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(rest)?.[0];
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)?.[0];
    const op = OPERATORS.find((o) => rest.startsWith(o));
    // Strings are read so that SEARCH('...') is refused by its name, not by a quote.
    const quoted = /^('[^']*'|"[^"]*")/.exec(rest)?.[0];
    const type = number ? 'number' : word ? 'word' : op ? 'op' : quoted ? 'string' : undefined;
    const text = number ?? word ?? op ?? quoted;
    if (!type || !text) {
      mathError(`The character ${JSON.stringify(source[i])} at position ${i + 1} is not supported.`);
    }
    tokens.push({ type, text, at: i });
    i += text.length;
  }
  return tokens;
}

// ---- parser (precedence climbing, lowest first: OR, AND, NOT, comparison, + -, * /, ^, unary minus) ----

class Parser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): MathNode {
    if (this.tokens.length === 0) mathError('The expression is empty.');
    const node = this.or();
    const extra = this.peek();
    if (extra) mathError(`Unexpected ${JSON.stringify(extra.text)} at position ${extra.at + 1}.`);
    return node;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private accept(...texts: string[]): string | undefined {
    const token = this.peek();
    if (token && token.type !== 'number' && texts.includes(token.text)) {
      this.position++;
      return token.text;
    }
    return undefined;
  }

  private expect(text: string): void {
    if (!this.accept(text)) {
      const token = this.peek();
      mathError(`Expected ${JSON.stringify(text)} ${token ? `at position ${token.at + 1}` : 'at the end'}.`);
    }
  }

  private binary(next: () => MathNode, ops: readonly string[], canonical: Record<string, string> = {}) {
    let left = next();
    for (let op = this.accept(...ops); op; op = this.accept(...ops)) {
      left = { kind: 'binary', op: canonical[op] ?? op, left, right: next() };
    }
    return left;
  }

  private or = (): MathNode => this.binary(this.and, ['OR', '||'], { '||': 'OR' });
  private and = (): MathNode => this.binary(this.not, ['AND', '&&'], { '&&': 'AND' });
  private not = (): MathNode =>
    this.accept('NOT', '!') ? { kind: 'unary', op: 'NOT', arg: this.not() } : this.comparison();
  private comparison = (): MathNode => this.binary(this.additive, ['==', '!=', '<=', '>=', '<', '>']);
  private additive = (): MathNode => this.binary(this.multiplicative, ['+', '-']);
  private multiplicative = (): MathNode => this.binary(this.unary, ['*', '/']);

  private unary = (): MathNode =>
    this.accept('-') ? { kind: 'unary', op: '-', arg: this.unary() } : this.power();

  /** ^ binds tighter than unary minus on its left and is right-associative: -2^2 is -4. */
  private power = (): MathNode => {
    const base = this.primary();
    return this.accept('^') ? { kind: 'binary', op: '^', left: base, right: this.unary() } : base;
  };

  private primary(): MathNode {
    const token = this.peek();
    if (!token) mathError('The expression ends too early.');
    this.position++;
    if (token.type === 'number') return { kind: 'number', value: Number(token.text) };
    if (token.text === '(') {
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    if (token.text === '[') mathError('Arrays of time series are not supported.');
    if (token.type === 'word' && this.accept('(')) return this.call(token.text);
    if (token.type === 'word' && (token.text === 'REPEAT' || token.text === 'LINEAR'))
      return { kind: 'keyword', name: token.text };
    if (token.type === 'word' && /^[a-z]/.test(token.text)) return { kind: 'id', name: token.text };
    return mathError(`Unexpected ${JSON.stringify(token.text)} at position ${token.at + 1}.`);
  }

  private call(name: string): MathNode {
    const upper = name.toUpperCase();
    if (!(SUPPORTED as readonly string[]).includes(upper)) {
      mathError(
        `The function ${upper} is not supported by the sandbox's metric math (it supports ${SUPPORTED.join(', ')}).`,
      );
    }
    const args: MathNode[] = [];
    if (!this.accept(')')) {
      do args.push(this.or());
      while (this.accept(','));
      this.expect(')');
    }
    checkArity(upper, args.length);
    return { kind: 'call', name: upper, args };
  }
}

function checkArity(name: string, count: number): void {
  const [min, max] = name === 'IF' ? [2, 3] : name === 'FILL' ? [2, 2] : [1, 1];
  if (count < min || count > max) {
    mathError(`${name} takes ${min === max ? min : `${min} or ${max}`} arguments (got ${count}).`);
  }
}

export function parseExpression(source: string): MathNode {
  return new Parser(tokenize(source)).parse();
}

/** The query ids an expression reads. */
export function references(node: MathNode): string[] {
  switch (node.kind) {
    case 'id':
      return [node.name];
    case 'unary':
      return references(node.arg);
    case 'binary':
      return [...references(node.left), ...references(node.right)];
    case 'call':
      return node.args.flatMap(references);
    default:
      return [];
  }
}

// ---- evaluation ----

export interface MathContext {
  /** The value of another query by id (a series, or a scalar from another expression). */
  resolve(id: string): MathValue;
  /** Every period start of the range, ascending: where FILL puts its points. */
  readonly grid: readonly number[];
}

const isSeries = (value: MathValue): value is Series => typeof value !== 'number';

/** Applies `f` per timestamp; series combine where all have a point; non-finite results are no point. */
function pointwise(values: readonly MathValue[], f: (...xs: number[]) => number | undefined): MathValue {
  const series = values.filter(isSeries);
  if (series.length === 0) return finite(f(...(values as number[]))) ?? new Map();
  const out = new Map<number, number>();
  for (const at of series[0].keys()) {
    if (!series.every((s) => s.has(at))) continue;
    const result = finite(f(...values.map((v) => (isSeries(v) ? (v.get(at) as number) : v))));
    if (result !== undefined) out.set(at, result);
  }
  return out;
}

function finite(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

const truth = (x: number) => (x !== 0 ? 1 : 0);

const BINARY: Readonly<Record<string, (a: number, b: number) => number>> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '^': (a, b) => a ** b,
  '==': (a, b) => Number(a === b),
  '!=': (a, b) => Number(a !== b),
  '<': (a, b) => Number(a < b),
  '>': (a, b) => Number(a > b),
  '<=': (a, b) => Number(a <= b),
  '>=': (a, b) => Number(a >= b),
  AND: (a, b) => truth(a) & truth(b),
  OR: (a, b) => truth(a) | truth(b),
};

export function evaluateExpression(node: MathNode, context: MathContext): MathValue {
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'id':
      return context.resolve(node.name);
    case 'keyword':
      return mathError(`${node.name} is only an argument of FILL.`);
    case 'unary': {
      const arg = evaluateExpression(node.arg, context);
      return pointwise([arg], node.op === '-' ? (x) => -x : (x) => 1 - truth(x));
    }
    case 'binary': {
      const left = evaluateExpression(node.left, context);
      const right = evaluateExpression(node.right, context);
      return pointwise([left, right], BINARY[node.op]);
    }
    case 'call':
      return call(node.name, node.args, context);
  }
}

function call(name: string, args: readonly MathNode[], context: MathContext): MathValue {
  if (name === 'IF') return ifThen(args, context);
  if (name === 'FILL') return fill(args, context);
  const value = evaluateExpression(args[0], context);
  switch (name) {
    case 'ABS':
      return pointwise([value], Math.abs);
    case 'CEIL':
      return pointwise([value], Math.ceil);
    case 'FLOOR':
      return pointwise([value], Math.floor);
  }
  return reduce(name, value);
}

/** MIN, MAX, SUM, AVG of a series: one scalar over its points (none when it has none). */
function reduce(name: string, value: MathValue): MathValue {
  if (!isSeries(value)) return value;
  const points = [...value.values()];
  if (points.length === 0) return new Map();
  const sum = points.reduce((a, b) => a + b, 0);
  if (name === 'SUM') return sum;
  if (name === 'AVG') return sum / points.length;
  return name === 'MIN' ? Math.min(...points) : Math.max(...points);
}

/** IF(condition, a[, b]): per timestamp of the condition, a where it is true, b (or no point) where not. */
function ifThen(args: readonly MathNode[], context: MathContext): MathValue {
  const [condition, whenTrue, whenFalse] = args.map((a) => evaluateExpression(a, context));
  if (!isSeries(condition)) {
    if (condition !== 0) return whenTrue;
    return whenFalse ?? new Map();
  }
  const at = (value: MathValue | undefined, t: number) =>
    value === undefined ? undefined : isSeries(value) ? value.get(t) : value;
  const out = new Map<number, number>();
  for (const [t, c] of condition) {
    const chosen = finite(at(c !== 0 ? whenTrue : whenFalse, t));
    if (chosen !== undefined) out.set(t, chosen);
  }
  return out;
}

/** FILL(x, value | REPEAT | LINEAR): a point at every period of the range. */
function fill(args: readonly MathNode[], context: MathContext): MathValue {
  const series = evaluateExpression(args[0], context);
  if (!isSeries(series)) mathError('The first argument of FILL must be a time series.');
  const how = args[1];
  if (how.kind === 'keyword' && how.name === 'REPEAT') return repeat(series, context.grid);
  if (how.kind === 'keyword' && how.name === 'LINEAR') return linear(series, context.grid);
  const value = evaluateExpression(how, context);
  const out = new Map<number, number>();
  for (const t of context.grid) {
    const filled = series.get(t) ?? (isSeries(value) ? value.get(t) : value);
    if (filled !== undefined) out.set(t, filled);
  }
  return out;
}

/** The most recent actual value before each gap (a gap before the first point stays empty). */
function repeat(series: Series, grid: readonly number[]): Series {
  const out = new Map<number, number>();
  let last: number | undefined;
  for (const t of grid) {
    last = series.get(t) ?? last;
    if (last !== undefined) out.set(t, last);
  }
  return out;
}

/** Linear interpolation between the points around each gap (gaps at either end stay empty). */
function linear(series: Series, grid: readonly number[]): Series {
  const known = grid.filter((t) => series.has(t));
  const out = new Map<number, number>();
  for (const t of grid) {
    const value = series.get(t);
    if (value !== undefined) {
      out.set(t, value);
      continue;
    }
    const before = known.findLast((k) => k < t);
    const after = known.find((k) => k > t);
    if (before === undefined || after === undefined) continue;
    const a = series.get(before) as number;
    const b = series.get(after) as number;
    out.set(t, a + ((b - a) * (t - before)) / (after - before));
  }
  return out;
}
