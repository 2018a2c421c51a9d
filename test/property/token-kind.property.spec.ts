/**
 * Properties of `classifyToken`: any string is a JWT (three segments, a JSON object header
 * with a string `alg`), opaque, or refused as a JWE (five segments), and nothing else is
 * ever thrown.
 */
import fc from 'fast-check';
import { decodeProtectedHeader } from 'jose';
import { InvalidTokenError } from '../../lib/core/errors.js';
import { canonicalBase64url, classifyToken } from '../../lib/core/token-kind.js';
import type { ClassifiedToken } from '../../lib/core/token-kind.js';
import { b64token, jsonValue, RUNS } from './support/arbitraries.js';

const b64 = (value: string): string => Buffer.from(value).toString('base64url');

function classify(token: string): ClassifiedToken | InvalidTokenError {
  try {
    return classifyToken(token);
  } catch (error) {
    if (error instanceof InvalidTokenError) return error;
    throw error;
  }
}

/** Strings made of segments joined by dots, segments being anything from base64url to junk. */
const dotted = fc
  .array(fc.oneof(b64token, fc.string({ unit: 'binary', maxLength: 30 }), jsonValue.map((v) => b64(JSON.stringify(v)))), { minLength: 1, maxLength: 7 })
  .map((parts) => parts.join('.'));

describe('classifyToken (property)', () => {
  it('classifies any string, throwing only InvalidTokenError (JWE, or a non-canonical JWS)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), dotted), (token) => {
        const result = classify(token);
        const segments = token.split('.').length;
        if (result instanceof InvalidTokenError) {
          expect(result.code).toBe('ERR_TOKEN_UNSUPPORTED');
          expect(result.status).toBe(401);
          expect(segments).toBe(5);
        } else if (result.kind === 'jwt') {
          expect(segments).toBe(3);
          expect(typeof result.header.alg).toBe('string');
        } else {
          expect(result.kind).toBe('opaque');
          expect(segments).not.toBe(5);
        }
        if (!token.includes('.')) expect(result).toEqual({ kind: 'opaque' });
      }),
      { numRuns: RUNS },
    );
  });

  // classifyToken reads a canonical header itself (Buffer + JSON.parse) and leaves the rest
  // to jose: the two must never disagree on what the header is, or whether there is one.
  it("reads a canonical token's header exactly as jose's decodeProtectedHeader does", () => {
    const headerBytes = fc.oneof(
      jsonValue.map((v) => Buffer.from(JSON.stringify(v))),
      fc.record({ alg: fc.oneof(fc.string(), fc.integer()), kid: fc.string() }).map((h) => Buffer.from(JSON.stringify(h))),
      // Byte-order marks, invalid UTF-8, stray bytes around an object.
      fc.tuple(fc.constantFrom([0xef, 0xbb, 0xbf], [0xff], [0xc3], [0x20], []), fc.constantFrom('{"alg":"RS256"}', '{"alg":"RS256","x":"\u00e9"}', '[1]', 'null'), fc.constantFrom([], [0x80], [0x20]))
        .map(([before, text, after]) => Buffer.concat([Buffer.from(before), Buffer.from(text), Buffer.from(after)])),
      fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes)),
    );
    fc.assert(
      fc.property(headerBytes, (bytes) => {
        const token = `${bytes.toString('base64url')}.${b64('{}')}.${b64('sig')}`;
        let expected: ClassifiedToken;
        try {
          const header = decodeProtectedHeader(token);
          expected = typeof header.alg === 'string' ? { kind: 'jwt', header } : { kind: 'opaque' };
        } catch {
          expected = { kind: 'opaque' };
        }
        expect(classify(token)).toEqual(expected);
      }),
      { numRuns: RUNS * 5 },
    );
  });

  /** Canonical base64url of random bytes: what an issuer produces. */
  const canonical = fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('base64url'));

  it('refuses a JWS-shaped token whose segments are not canonical base64url', () => {
    fc.assert(
      fc.property(canonical, fc.constantFrom('=', '==', ' ', '+', '/'), (signature, junk) => {
        const token = `${b64(JSON.stringify({ alg: 'RS256' }))}.${b64('{}')}.${signature}${junk}`;
        expect(classify(token)).toMatchObject({ code: 'ERR_TOKEN_MALFORMED', status: 401 });
      }),
      { numRuns: RUNS },
    );
  });

  it('reads back exactly the header that was encoded, when it is an object with a string alg', () => {
    const header = fc.dictionary(fc.string({ maxLength: 8 }), jsonValue, { maxKeys: 5 });
    fc.assert(
      fc.property(header, fc.option(fc.string({ maxLength: 10 }), { nil: undefined }), canonical, canonical, (fields, alg, payload, signature) => {
        const value = alg === undefined ? fields : { ...fields, alg };
        const result = classify(`${b64(JSON.stringify(value))}.${payload}.${signature}`);
        if (typeof (value as { alg?: unknown }).alg === 'string') {
          expect(result).toEqual({ kind: 'jwt', header: JSON.parse(JSON.stringify(value)) });
        } else {
          expect(result).toEqual({ kind: 'opaque' });
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('canonicalBase64url (the check behind "only the canonical spelling is accepted")', () => {
  // The definition: decoding and re-encoding gives the same string back (what the check
  // did before it stopped copying every segment twice).
  const roundTrips = (segment: string): boolean => /^[A-Za-z0-9_-]*$/.test(segment) && Buffer.from(segment, 'base64url').toString('base64url') === segment;
  const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .'.split(''));

  // Plain predicates (fast-check reports the counterexample of a false one): thousands of runs,
  // and an expect() per run costs more than the check itself.
  it('agrees with a decode/encode round trip on any string, of any length', () => {
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 40 }), (segment) => canonicalBase64url(segment, 0, segment.length) === roundTrips(segment)),
      { numRuns: RUNS * 20 },
    );
  });

  it('agrees inside a longer string (start and end offsets)', () => {
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 12 }), fc.string({ unit: alphabet, maxLength: 30 }), fc.string({ unit: alphabet, maxLength: 12 }), (before, segment, after) => {
        const token = `${before}.${segment}.${after}`;
        return canonicalBase64url(token, before.length + 1, before.length + 1 + segment.length) === roundTrips(segment);
      }),
      { numRuns: RUNS * 10 },
    );
  });

  it('refuses the spellings jose tolerates: padding, non-zero unused bits', () => {
    const canonical = Buffer.from('hi!?').toString('base64url'); // 'aGkhPw' (6 chars: 2 unused bits… of the tail)
    expect(canonicalBase64url(canonical, 0, canonical.length)).toBe(true);
    expect(canonicalBase64url(`${canonical}==`, 0, canonical.length + 2)).toBe(false);
    const bumped = `${canonical.slice(0, -1)}x`; // 'w' → 'x': a low bit set
    expect(canonicalBase64url(bumped, 0, bumped.length)).toBe(false);
  });
});
