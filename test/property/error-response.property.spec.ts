/**
 * Properties of the one place errors become answers: whatever the error (any AuthError with
 * any message, scopes or retry hint, or anything else that was thrown), the answer is a
 * 400/401/403/503, never a 500, with header values that are safe to write (no CR, LF or
 * other control characters: Node would throw on them, which would be a 500) and a JSON body.
 */
import fc from 'fast-check';
import { toErrorResponse } from '../../lib/core/challenge.js';
import type { ErrorResponse } from '../../lib/core/challenge.js';
import {
  AuthError,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  IssuerUnavailableError,
  MissingTokenError,
} from '../../lib/core/errors.js';
import type { InsufficientScopeCode, InvalidTokenCode } from '../../lib/core/errors.js';
import { createResourceServer } from '../../lib/core/resource-server.js';
import { RUNS } from './support/arbitraries.js';

const INVALID_TOKEN_CODES: InvalidTokenCode[] = [
  'ERR_TOKEN_MALFORMED',
  'ERR_TOKEN_UNSUPPORTED',
  'ERR_ALG_NOT_ALLOWED',
  'ERR_HEADER_NOT_ALLOWED',
  'ERR_KEY_NOT_FOUND',
  'ERR_SIGNATURE_INVALID',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_NOT_YET_VALID',
  'ERR_CLAIM_INVALID',
  'ERR_TOKEN_INACTIVE',
  'ERR_TOKEN_REVOKED',
];
const SCOPE_CODES: InsufficientScopeCode[] = ['ERR_SCOPE_INSUFFICIENT', 'ERR_ROLE_INSUFFICIENT', 'ERR_POLICY_DENIED'];

/** Messages that could carry request data (an organization id from the URL, say). */
const message = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 200 }), fc.constantFrom('a\r\nX-Injected: 1', '"\\"', '\u0000'));

const authError: fc.Arbitrary<AuthError> = fc.oneof(
  message.map((m) => new MissingTokenError(m)),
  message.map((m) => new InvalidRequestError(m)),
  fc.tuple(fc.constantFrom(...INVALID_TOKEN_CODES), message).map(([code, m]) => new InvalidTokenError(code, m)),
  fc
    .tuple(fc.constantFrom(...SCOPE_CODES), message, fc.array(fc.string({ unit: 'binary', maxLength: 30 }), { maxLength: 4 }))
    .map(([code, m, scopes]) => new InsufficientScopeError(code, m, scopes)),
  fc
    .tuple(message, fc.option(fc.double({ min: -1e12, max: 1e12, noNaN: true }), { nil: undefined }))
    .map(([m, retryAfterMs]) => new IssuerUnavailableError(m, { retryAfterMs })),
);

const safeText = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.constantFrom('a\r\nb', 'x"y', 'https://rs.example/.well-known/oauth-protected-resource'));

function expectSafe(response: ErrorResponse): void {
  expect([400, 401, 403, 503]).toContain(response.status);
  for (const [name, value] of Object.entries(response.headers)) {
    expect(name).toMatch(/^[a-z-]+$/);
    // Visible ASCII and spaces only: what RFC 9110 field values allow without obs-text.
    expect(value).toMatch(/^[\x20-\x7e]*$/);
  }
  if (response.status === 503) expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  else expect(response.headers['www-authenticate']).toMatch(/^Bearer( |$)/);
  expect(typeof response.body.error).toBe('string');
  expect(typeof response.body.error_description).toBe('string');
  expect(() => JSON.stringify(response.body)).not.toThrow();
}

describe('toErrorResponse (property)', () => {
  it('answers any AuthError with 400/401/403/503 and safe headers, whatever the realm and metadata URL', () => {
    fc.assert(
      fc.property(authError, fc.record({ realm: fc.option(safeText, { nil: undefined }), resourceMetadata: fc.option(safeText, { nil: undefined }) }), (error, options) => {
        const response = toErrorResponse(error, options);
        expectSafe(response);
        expect(response.status).toBe(error.status);
      }),
      { numRuns: RUNS },
    );
  });

  it('answers anything thrown (not only AuthErrors) through the resource server, failing closed with 503', () => {
    const errors: string[] = [];
    const rs = createResourceServer({
      issuer: 'https://issuer.example',
      audience: 'api',
      realm: 'api "x"\r\n',
      logger: { warn: (m) => errors.push(m), error: (m) => errors.push(m) },
      now: () => 0, // one throttled log line for the whole run
    });
    fc.assert(
      fc.property(fc.oneof(authError, fc.anything(), message.map((m) => new Error(m)), fc.constant(new TypeError('x'))), (thrown) => {
        const response = rs.toErrorResponse(thrown);
        expectSafe(response);
        if (!(thrown instanceof AuthError)) expect(response.status).toBe(503);
      }),
      { numRuns: RUNS },
    );
    expect(errors.length).toBeLessThanOrEqual(1);
  });
});
