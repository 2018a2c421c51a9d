import { resolveBearerToken } from '../../lib/core/bearer.js';
import type { BearerRequest } from '../../lib/core/bearer.js';
import { InvalidRequestError, MissingTokenError } from '../../lib/core/errors.js';

function request(authorization?: string | string[], extra: Partial<BearerRequest> = {}): BearerRequest {
  const values = authorization === undefined ? [] : Array.isArray(authorization) ? authorization : [authorization];
  return {
    headers: values.length ? { authorization: values[0] } : {},
    headersDistinct: values.length ? { authorization: values } : {},
    ...extra,
  };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as { code: string }).code;
  }
  return 'no error';
}

describe('resolveBearerToken', () => {
  it.each([
    ['Bearer abc.def-_~+/=', 'abc.def-_~+/='],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['Bearer  abc', 'abc'],
  ])('accepts %j', (header, token) => {
    expect(resolveBearerToken(request(header), ['header'])).toBe(token);
  });

  it.each([undefined, 'Basic dXNlcjpwYXNz', 'Digest x', 'Token abc', ''])('answers a bare 401 for %j', (header) => {
    expect(() => resolveBearerToken(request(header), ['header'])).toThrow(MissingTokenError);
  });

  it.each(['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a,b', 'Bearer a, Bearer b', 'Bearer\tabc', 'Bearer "abc"', 'Bearer a=b'])(
    'refuses %j with invalid_request',
    (header) => {
      expect(codeOf(() => resolveBearerToken(request(header), ['header']))).toBe('ERR_INVALID_REQUEST');
    },
  );

  it('refuses two Authorization headers, from headersDistinct or rawHeaders', () => {
    expect(() => resolveBearerToken(request(['Bearer a', 'Bearer b']), ['header'])).toThrow(InvalidRequestError);
    const raw: BearerRequest = {
      headers: { authorization: 'Bearer a' },
      rawHeaders: ['Authorization', 'Bearer a', 'authorization', 'Bearer b'],
    };
    expect(() => resolveBearerToken(raw, ['header'])).toThrow(InvalidRequestError);
  });

  it('refuses query and body tokens unless enabled, and two carriers at once', () => {
    expect(codeOf(() => resolveBearerToken(request(undefined, { url: '/x?access_token=abc' }), ['header']))).toBe('ERR_INVALID_REQUEST');
    expect(resolveBearerToken(request(undefined, { url: '/x?access_token=abc' }), ['header', 'query'])).toBe('abc');
    expect(codeOf(() => resolveBearerToken(request('Bearer abc', { url: '/x?access_token=abc' }), ['header', 'query']))).toBe(
      'ERR_INVALID_REQUEST',
    );
    const form = { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: { access_token: 'abc' } };
    expect(codeOf(() => resolveBearerToken(form, ['header']))).toBe('ERR_INVALID_REQUEST');
    expect(resolveBearerToken(form, ['body'])).toBe('abc');
    expect(codeOf(() => resolveBearerToken(request(undefined, { url: '/x?access_token=a&access_token=b' }), ['query']))).toBe(
      'ERR_INVALID_REQUEST',
    );
  });

  it('ignores an access_token field of a JSON body (RFC 6750 §2.2 is form bodies only)', () => {
    const json = { headers: { 'content-type': 'application/json', authorization: 'Bearer abc' }, body: { access_token: 'x' } };
    expect(resolveBearerToken(json, ['header'])).toBe('abc');
  });

  it('refuses a huge token before parsing it', () => {
    expect(codeOf(() => resolveBearerToken(request(`Bearer ${'a'.repeat(20_000)}`), ['header']))).toBe('ERR_INVALID_REQUEST');
  });
});
