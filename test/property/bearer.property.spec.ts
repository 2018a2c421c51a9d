/**
 * Properties of RFC 6750 token extraction: whatever the request looks like, the resolver
 * either returns one well-formed b64token or throws MissingTokenError (401) or
 * InvalidRequestError (400), nothing else.
 */
import fc from 'fast-check';
import { MAX_TOKEN_LENGTH, parseAuthorizationHeader, resolveBearerToken, resolveCredentials } from '../../lib/core/bearer.js';
import type { BearerMethod, BearerRequest } from '../../lib/core/bearer.js';
import { InvalidRequestError, MissingTokenError } from '../../lib/core/errors.js';
import { arbitraryHeaderValue, b64token, RUNS } from './support/arbitraries.js';

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Runs the resolver; returns the token or the error, and fails on any other throwable. */
function resolve(request: BearerRequest, methods: readonly BearerMethod[]): { token: string } | { error: MissingTokenError | InvalidRequestError } {
  try {
    return { token: resolveBearerToken(request, methods) };
  } catch (error) {
    if (error instanceof MissingTokenError || error instanceof InvalidRequestError) return { error };
    throw error;
  }
}

const methodsArb = fc.subarray(['header', 'query', 'body'] as BearerMethod[], { minLength: 1 });

const requestArb: fc.Arbitrary<BearerRequest> = fc.record(
  {
    headers: fc.dictionary(
      fc.constantFrom('authorization', 'content-type', 'x-other'),
      fc.oneof(arbitraryHeaderValue, fc.array(arbitraryHeaderValue, { maxLength: 3 }), fc.constant(undefined)),
    ),
    headersDistinct: fc.record({ authorization: fc.option(fc.array(arbitraryHeaderValue, { maxLength: 3 }), { nil: undefined }) }, { requiredKeys: [] }),
    rawHeaders: fc.array(fc.oneof(fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION', 'Content-Type'), arbitraryHeaderValue), { maxLength: 6 }),
    url: fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.tuple(fc.constantFrom('/me?', '/x?a=1&', '?'), fc.constantFrom('access_token=', 'access_token', 'access%5Ftoken='), fc.string({ maxLength: 40 })).map((parts) => parts.join('')),
    ),
    body: fc.oneof(fc.anything(), fc.record({ access_token: fc.oneof(fc.string(), fc.anything()) })),
  },
  { requiredKeys: ['headers'] },
);

describe('resolveBearerToken (property)', () => {
  it('answers any Authorization value with a b64token or a 400/401 AuthError', () => {
    fc.assert(
      fc.property(arbitraryHeaderValue, methodsArb, (value, methods) => {
        const result = resolve({ headers: { authorization: value } }, methods);
        if ('token' in result) {
          expect(result.token).toMatch(B64TOKEN);
          expect(result.token.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
          expect(value).toContain(result.token);
        } else {
          expect([400, 401]).toContain(result.error.status);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('answers any request shape (headers, distinct and raw headers, query, body) the same way', () => {
    fc.assert(
      fc.property(requestArb, methodsArb, (request, methods) => {
        const result = resolve(request, methods);
        if ('token' in result) {
          expect(result.token).toMatch(B64TOKEN);
          expect(result.token.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('resolves credentials (Bearer, or DPoP when accepted) with the same guarantees', () => {
    fc.assert(
      fc.property(requestArb, methodsArb, fc.boolean(), (request, methods, acceptDpop) => {
        let credentials: ReturnType<typeof resolveCredentials> | undefined;
        try {
          credentials = resolveCredentials(request, methods, acceptDpop);
        } catch (error) {
          if (!(error instanceof MissingTokenError || error instanceof InvalidRequestError)) throw error;
          return;
        }
        expect(credentials.token).toMatch(B64TOKEN);
        expect(credentials.token.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH);
        if (credentials.scheme === 'dpop') expect(acceptDpop).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('returns exactly the token of "<bearer in any case> 1*SP <b64token>"', () => {
    const scheme = fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }).map((upper) =>
      [...'bearer'].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''),
    );
    fc.assert(
      fc.property(scheme, fc.integer({ min: 1, max: 4 }), b64token, (s, spaces, token) => {
        expect(resolveBearerToken({ headers: { authorization: `${s}${' '.repeat(spaces)}${token}` } }, ['header'])).toBe(token);
        expect(parseAuthorizationHeader(`${s}${' '.repeat(spaces)}${token}`)).toBe(token);
      }),
      { numRuns: RUNS },
    );
  });

  it('never accepts two Authorization headers, whatever they hold', () => {
    fc.assert(
      fc.property(fc.array(arbitraryHeaderValue, { minLength: 2, maxLength: 4 }), (values) => {
        const result = resolve({ headers: { authorization: values[0] }, headersDistinct: { authorization: values } }, ['header']);
        expect('error' in result && result.error).toBeInstanceOf(InvalidRequestError);
        const raw = values.flatMap((value) => ['Authorization', value]);
        const fromRaw = resolve({ headers: { authorization: values[0] }, rawHeaders: raw }, ['header']);
        expect('error' in fromRaw && fromRaw.error).toBeInstanceOf(InvalidRequestError);
      }),
      { numRuns: RUNS },
    );
  });

  it('never accepts a token in two carriers, even when both are enabled', () => {
    fc.assert(
      fc.property(b64token, b64token, (a, b) => {
        const request: BearerRequest = {
          headers: { authorization: `Bearer ${a}`, 'content-type': 'application/x-www-form-urlencoded' },
          url: `/x?access_token=${encodeURIComponent(b)}`,
          body: { access_token: b },
        };
        for (const methods of [['header', 'query'], ['header', 'body'], ['query', 'body'], ['header', 'query', 'body']] as BearerMethod[][]) {
          const result = resolve(request, methods);
          expect('error' in result && result.error).toBeInstanceOf(InvalidRequestError);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('never reads a query or body token unless that carrier is enabled', () => {
    fc.assert(
      fc.property(b64token, (token) => {
        const query = resolve({ headers: {}, url: `/x?access_token=${encodeURIComponent(token)}` }, ['header', 'body']);
        expect('error' in query && query.error).toBeInstanceOf(InvalidRequestError);
        const body = resolve({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: { access_token: token } }, ['header', 'query']);
        expect('error' in body && body.error).toBeInstanceOf(InvalidRequestError);
      }),
      { numRuns: RUNS },
    );
  });
});
