import { LRUCache } from 'lru-cache';

/**
 * Shares equal claim values between cached tokens. A service user's tokens repeat the same
 * issuer, audience, client id and role claims for their whole lifetime; keeping one frozen
 * copy of each lets a bounded cache of verified tokens hold far more entries in the same
 * memory. Bounded itself, and only fed on verification (never on a cache hit).
 */
export class ClaimInterner {
  readonly #values = new LRUCache<string, object | string>({ max: 2048 });
  readonly #derived = new WeakMap<object, unknown>();

  /** Returns `claims` with repeated values replaced by shared, frozen copies (in place). */
  intern(claims: Record<string, unknown>): Record<string, unknown> {
    for (const name of Object.keys(claims)) {
      if (name === 'jti' || name === 'exp' || name === 'iat' || name === 'nbf') continue;
      const value = claims[name];
      if (typeof value === 'string') {
        if (value.length <= 256) claims[name] = this.#share(`s${value}`, value);
      } else if (value !== null && typeof value === 'object') {
        const key = JSON.stringify(value);
        if (key.length > 4096) continue;
        // Frozen only when it becomes the shared copy: a value seen before is dropped.
        const known = this.#values.get(`o${key}`);
        if (known !== undefined) claims[name] = known;
        else this.#values.set(`o${key}`, deepFreeze(value));
      }
    }
    return claims;
  }

  /** A value computed once per shared claim value (e.g. the roles map of a role claim). */
  derive<T>(source: object, compute: () => T): T {
    if (this.#derived.has(source)) return this.#derived.get(source) as T;
    const value = compute();
    this.#derived.set(source, value);
    return value;
  }

  #share<T extends object | string>(key: string, value: T): T {
    const known = this.#values.get(key);
    if (known !== undefined) return known as T;
    this.#values.set(key, value);
    return value;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
