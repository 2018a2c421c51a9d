/**
 * The kernel of option validation, shared by `createResourceServer`, the caches, the
 * revocation lists and the Redis subpath: one way to refuse an option, one way to say what
 * came in, one check for misspelled keys.
 */
import { ResourceServerOptionsError } from './errors.js';

/** Throws a {@link ResourceServerOptionsError} with `message`. */
export function fail(message: string): never {
  throw new ResourceServerOptionsError(message);
}

/**
 * What a value is, for a message: `the string "3000"`, `3.5`, `true`, `null`,
 * `an array`, `an object`, `a function`. With `secret`, a string's content is never shown.
 *
 * @example
 * `"timeout" option must be an integer from 100 to 60000 (got ${describeValue('3000')})`
 * // → … (got the string "3000")
 */
export function describeValue(value: unknown, secret = false): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      if (value === '') return 'an empty string';
      if (secret) return 'a string';
      return `the string ${JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)}`;
    case 'number':
      return String(value);
    case 'bigint':
      return `${String(value)}n`;
    case 'boolean':
      return String(value);
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      return 'an object';
  }
}

/**
 * Refuses any own key of `value` that is not in `allowed`, naming the nearest valid one:
 * `Unknown option "audiance": did you mean "audience"?`. `path` is the option's prefix
 * (`''`, `'introspection.'`, `'issuers[0].'`).
 */
export function checkKeys(value: object, allowed: readonly string[], path = ''): void {
  for (const key of Object.keys(value)) {
    if (allowed.includes(key)) continue;
    const suggestion = nearest(key, allowed);
    const known = allowed.map((name) => `"${path}${name}"`).join(', ');
    fail(
      suggestion === undefined
        ? `Unknown option "${path}${key}" (the options here are ${known})`
        : `Unknown option "${path}${key}": did you mean "${path}${suggestion}"?`,
    );
  }
}

/** The name in `names` closest to `input` (case and `_`/`-` ignored), if it is close enough to be a typo. */
export function nearest(input: string, names: readonly string[]): string | undefined {
  const simple = (name: string) => name.toLowerCase().replace(/[_-]/g, '');
  const wanted = simple(input);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const distance = editDistance(wanted, simple(name));
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  const allowedDistance = Math.max(1, Math.floor(Math.max(wanted.length, 3) / 3));
  return bestDistance <= allowedDistance ? best : undefined;
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Math.abs(a.length - b.length) + 64;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push([i]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/** `value` if it is an integer from `min` to `max`, `fallback` if undefined; otherwise refused, saying what came in. */
export function integerOption(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`"${name}" option must be an integer from ${min} to ${max} (got ${describeValue(value)})`);
  }
  return value;
}

/** `value` if it is a non-blank string; otherwise refused, saying what came in (never a secret's content). */
export function stringOption(value: unknown, name: string, secret = false): string {
  if (typeof value !== 'string' || value.trim() === '') fail(`"${name}" option must be a non-empty string (got ${describeValue(value, secret)})`);
  return value;
}

/** `value` if it is a plain object (not null, not an array); otherwise refused with `shape` as the hint. */
export function objectOption(value: unknown, name: string, shape: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`"${name}" option must be an object ${shape} (got ${describeValue(value)})`);
  return value as Record<string, unknown>;
}
