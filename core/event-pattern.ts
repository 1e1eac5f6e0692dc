/**
 * EventBridge event patterns, evaluated here the way EventBridge Pipes evaluates a pipe's filter (docs/events.md):
 * the sandbox runs each region's stream records through the very patterns the stacks give the pipe
 * (core/events.ts, eventFilterPatterns), so the filter is tested wherever the feed runs. Only the operators the
 * project's patterns use are implemented (exact values, `exists`, `prefix`); any other is an error, so a pattern
 * that grows one fails loudly in the sandbox's tests instead of matching wrongly.
 */

export type EventPattern = Readonly<Record<string, unknown>>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One entry of a pattern's value list against one value of the event (undefined: the field is absent). */
function entryMatches(entry: unknown, value: unknown): boolean {
  if (!isObject(entry)) return value !== undefined && entry === value;
  const [operator, ...rest] = Object.keys(entry);
  if (rest.length > 0)
    throw new Error(`event pattern: one operator per entry, not ${Object.keys(entry).join(', ')}`);
  const argument = entry[operator];
  switch (operator) {
    case 'exists':
      return argument === (value !== undefined);
    case 'prefix':
      return typeof value === 'string' && typeof argument === 'string' && value.startsWith(argument);
    default:
      throw new Error(`event pattern: the operator "${operator}" is not implemented here`);
  }
}

/** A field's value list: any entry matches the value (or, for an array in the event, any of its elements). */
function listMatches(entries: readonly unknown[], value: unknown): boolean {
  if (Array.isArray(value)) {
    return entries.some((entry) =>
      value.length === 0 ? entryMatches(entry, undefined) : value.some((v) => entryMatches(entry, v)),
    );
  }
  return entries.some((entry) => entryMatches(entry, isObject(value) ? undefined : value));
}

/** Whether `event` matches `pattern`: every field of the pattern matches (AND), each by one of its values (OR). */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  const fields = isObject(event) ? event : {};
  for (const [key, rule] of Object.entries(pattern)) {
    const value = fields[key];
    if (Array.isArray(rule)) {
      if (!listMatches(rule, value)) return false;
    } else if (isObject(rule)) {
      if (!matchesEventPattern(rule, value)) return false;
    } else {
      throw new Error(`event pattern: "${key}" must be a list of values or a nested pattern`);
    }
  }
  return true;
}

/** Whether `event` matches any of `patterns` (a pipe's filters are OR'ed). */
export function matchesAnyEventPattern(patterns: readonly EventPattern[], event: unknown): boolean {
  return patterns.some((pattern) => matchesEventPattern(pattern, event));
}
