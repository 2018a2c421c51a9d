import fc from 'fast-check';

/** Runs per property: enough to find the usual suspects, small enough to keep the suite fast. */
export const RUNS = 300;

const B64_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/'];
const B64URL_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];

/** An RFC 6750 b64token: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. */
export const b64token: fc.Arbitrary<string> = fc
  .tuple(fc.string({ unit: fc.constantFrom(...B64_CHARS), minLength: 1, maxLength: 120 }), fc.integer({ min: 0, max: 2 }))
  .map(([body, padding]) => `${body}${'='.repeat(padding)}`);

/** One base64url character. */
export const b64urlChar: fc.Arbitrary<string> = fc.constantFrom(...B64URL_CHARS);

/** Characters that sit near the grammar's edges: separators, whitespace, controls, look-alikes. */
const tricky = fc.constantFrom(' ', '\t', ',', '"', '=', '.', '\u0000', '\r', '\n', '\u00a0', '\u2028', 'В', 'е', 'а', '\uFEFF', ';', '\\');

/** Authorization header values, from plausible to hostile. */
export const arbitraryHeaderValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ maxLength: 120 }),
  fc
    .tuple(
      fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Веаrer', 'Bearer,', 'DPoP', ''),
      fc.string({ unit: fc.constantFrom(' ', '\t', '\u00a0'), maxLength: 3 }),
      fc.oneof(b64token, fc.string({ unit: fc.oneof(fc.constantFrom(...B64_CHARS), tricky), maxLength: 120 })),
      fc.string({ unit: fc.oneof(tricky, fc.constantFrom(...B64_CHARS)), maxLength: 8 }),
    )
    .map((parts) => parts.join('')),
  fc.integer({ min: 16_380, max: 16_390 }).map((length) => `Bearer ${'a'.repeat(length)}`),
);

/** Any JSON value (no -0, which JSON cannot hold). */
export const jsonValue = fc.jsonValue({ maxDepth: 3 });
