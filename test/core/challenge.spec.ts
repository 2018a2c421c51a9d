import { buildChallenge, toErrorResponse } from '../../lib/core/challenge.js';
import {
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  IssuerUnavailableError,
  MissingTokenError,
} from '../../lib/core/errors.js';

describe('buildChallenge', () => {
  it('is bare (realm only) when the request had no credentials', () => {
    expect(buildChallenge(new MissingTokenError(), { realm: 'api' })).toBe('Bearer realm="api"');
  });

  it('names the error and a description', () => {
    expect(buildChallenge(new InvalidTokenError('ERR_TOKEN_EXPIRED', 'The token has expired'), { realm: 'api' })).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The token has expired"',
    );
    expect(buildChallenge(new InvalidRequestError('Malformed'))).toBe('Bearer error="invalid_request", error_description="Malformed"');
  });

  it('lists the required scopes for insufficient_scope', () => {
    const error = new InsufficientScopeError('ERR_SCOPE_INSUFFICIENT', 'Missing scope: b', ['a', 'b']);
    expect(buildChallenge(error, { realm: 'api' })).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="Missing scope: b", scope="a b"',
    );
  });

  it('drops characters RFC 6750 does not allow inside quoted values', () => {
    const error = new InvalidTokenError('ERR_CLAIM_INVALID', 'bad "iss"\\\n');
    expect(buildChallenge(error)).toBe('Bearer error="invalid_token", error_description="bad iss"');
  });

  it('adds resource_metadata when configured', () => {
    expect(buildChallenge(undefined, { realm: 'api', resourceMetadata: 'https://api.example/.well-known/oauth-protected-resource' })).toBe(
      'Bearer realm="api", resource_metadata="https://api.example/.well-known/oauth-protected-resource"',
    );
  });
});

describe('toErrorResponse', () => {
  it('answers 503 with Retry-After and no challenge', () => {
    const response = toErrorResponse(new IssuerUnavailableError('down', { retryAfterMs: 2500 }));
    expect(response.status).toBe(503);
    expect(response.headers).toEqual({ 'retry-after': '3' });
  });

  it('gives Retry-After at least 1', () => {
    expect(toErrorResponse(new IssuerUnavailableError('down', { retryAfterMs: -5 })).headers['retry-after']).toBe('1');
  });
});
