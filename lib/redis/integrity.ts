import { createHmac, timingSafeEqual } from 'node:crypto';
import { describeValue, fail } from '../core/kernel/index.js';

/** Shortest accepted secret, in bytes (the output size of SHA-256). */
export const MIN_SECRET_BYTES = 32;

/** A secret for {@link EntrySigner}: a string (its UTF-8 bytes) or bytes; or a list of them while rotating (the first signs, any verifies). */
export type RedisSecret = string | Uint8Array | readonly (string | Uint8Array)[];

const HOW = 'at least 32 random bytes, the same on every instance of this API, e.g. the output of `openssl rand -base64 32` kept like a password';

/** Checks the `secret` option and returns its keys (first: the one that signs). */
export function resolveSecret(value: unknown, name = 'secret'): readonly Buffer[] {
  if (value === undefined) {
    fail(
      `"${name}" option is required: ${HOW}. Entries in Redis are authenticated with it (HMAC-SHA256 over key and value), ` +
        'so that whoever can write to this Redis cannot forge an introspection answer',
    );
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail(`"${name}" option must be a secret or a non-empty list of secrets (${HOW})`);
  return Object.freeze(
    list.map((entry: unknown, index) => {
      const entryName = Array.isArray(value) ? `${name}[${index}]` : name;
      let bytes: Buffer;
      if (typeof entry === 'string') bytes = Buffer.from(entry, 'utf8');
      else if (entry instanceof Uint8Array) bytes = Buffer.from(entry);
      else fail(`"${entryName}" option must be a string or a Buffer of ${HOW} (got ${describeValue(entry, true)})`);
      if (bytes.length < MIN_SECRET_BYTES) fail(`"${entryName}" option must be at least ${MIN_SECRET_BYTES} bytes (got ${bytes.length}): ${HOW}`);
      return bytes;
    }),
  );
}

const VERSION = 'v1';
/** Length of a base64url HMAC-SHA256. */
const MAC_LENGTH = 43;

/**
 * Seals values stored in Redis with an HMAC-SHA256 over a purpose, the Redis key and the
 * value (`v1.<mac>.<value>`), and opens them again: an entry moved to another key, written
 * for another purpose, edited, or written without the secret does not open.
 */
export class EntrySigner {
  constructor(
    private readonly keys: readonly Buffer[],
    private readonly purpose: string,
  ) {}

  /** The stored form of `value` under `redisKey`. */
  seal(redisKey: string, value: string): string {
    return `${VERSION}.${this.#mac(this.keys[0]!, redisKey, value)}.${value}`;
  }

  /** The value, if `stored` was sealed under `redisKey` with one of the keys; `undefined` otherwise. */
  open(redisKey: string, stored: string): string | undefined {
    const head = VERSION.length + 1;
    if (!stored.startsWith(`${VERSION}.`) || stored.charAt(head + MAC_LENGTH) !== '.') return undefined;
    const mac = Buffer.from(stored.slice(head, head + MAC_LENGTH), 'utf8');
    const value = stored.slice(head + MAC_LENGTH + 1);
    for (const key of this.keys) {
      const expected = Buffer.from(this.#mac(key, redisKey, value), 'utf8');
      if (expected.length === mac.length && timingSafeEqual(expected, mac)) return value;
    }
    return undefined;
  }

  #mac(key: Buffer, redisKey: string, value: string): string {
    // The key's length makes the split between key and value unambiguous.
    return createHmac('sha256', key)
      .update(`zitadel-resource-server/${this.purpose}\0${redisKey.length}\0${redisKey}`)
      .update(value)
      .digest('base64url');
  }
}
