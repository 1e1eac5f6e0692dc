/**
 * Keys a request must never steer into an object's prototype: `__proto__` (Object.prototype's accessor: a
 * write through it replaces the prototype, `obj.__proto__.x = 1` pollutes every object of the process),
 * `constructor` and `prototype` (a path through them reaches a class). Every parser of the sandbox builds
 * what it reads with `Map`s, null-prototype objects or `Object.fromEntries` (which defines own properties,
 * as JSON.parse does), so such a key is plain data; where a request names a *field* (an AWS API's members, a
 * query protocol path, the control API's bodies) none of them has such a name, and the request is refused.
 */

export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export function isPrototypeKey(key: string): boolean {
  return PROTOTYPE_KEYS.has(key);
}

/** A request that names a field `__proto__`, `constructor` or `prototype` (the parsers answer 400). */
export class PrototypeKeyError extends Error {
  override name = 'PrototypeKeyError';
  constructor(readonly key: string) {
    super(`the field name "${key}" is not allowed (it names an object's prototype)`);
  }
}

/** An empty object with no prototype: any key written to it is its own property, nothing inherited. */
export function nullObject<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * Throws PrototypeKeyError at the first prototype key anywhere in a decoded value, and at an object whose
 * prototype a decoder already replaced (a decoder that wrote `__proto__` into a plain object).
 */
export function refusePrototypeKeys(value: unknown): void {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof Date)
    return;
  if (Array.isArray(value)) {
    for (const item of value) refusePrototypeKeys(item);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new PrototypeKeyError('__proto__');
  for (const key of Object.keys(value)) {
    if (isPrototypeKey(key)) throw new PrototypeKeyError(key);
    refusePrototypeKeys((value as Record<string, unknown>)[key]);
  }
}

/** JSON.parse that refuses prototype keys anywhere (a SyntaxError for bad JSON, as JSON.parse throws). */
export function parseJsonRefusingPrototypeKeys(text: string): unknown {
  const parsed: unknown = JSON.parse(text);
  refusePrototypeKeys(parsed);
  return parsed;
}
