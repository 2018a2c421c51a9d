import { ResourceServerOptionsError } from '../../lib/core/errors.js';
import { resolveOptions } from '../../lib/core/options.js';
import type { ResourceServerOptions } from '../../lib/core/options.js';

const valid = { issuer: 'https://acme.zitadel.cloud', audience: '123' };

function messageOf(options: unknown): string {
  try {
    resolveOptions(options as ResourceServerOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ResourceServerOptionsError);
    expect((error as ResourceServerOptionsError).code).toBe('ERR_INVALID_OPTIONS');
    return (error as Error).message;
  }
  throw new Error('expected the options to be refused');
}

describe('resolveOptions', () => {
  it('fills in secure defaults and freezes the result', () => {
    const resolved = resolveOptions(valid);
    expect(resolved.audience).toEqual(['123']);
    expect(resolved.algorithms).not.toContain('HS256');
    expect(resolved.clockTolerance).toBe(5);
    expect(resolved.timeout).toBe(3000);
    expect(resolved.jwksCooldown).toBe(5000);
    expect(resolved.bearerMethods).toEqual(['header']);
    expect(resolved.claims).toBe('zitadel');
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it.each([
    [{ audience: '1' }, '"issuer"'],
    [{ issuer: 'https://a.example' }, '"audience"'],
    [{ issuer: 'https://a.example', audience: [] }, '"audience"'],
    [{ issuer: 'http://idp.example.com', audience: '1' }, '"issuer" option must be an https: URL'],
    [{ ...valid, algorithms: ['HS256'] }, '"algorithms" option contains "HS256"'],
    [{ ...valid, algorithms: ['none'] }, '"algorithms" option contains "none"'],
    [{ ...valid, clockTolerance: 61 }, '"clockTolerance" option must be an integer from 0 to 60'],
    [{ ...valid, jwksUri: 'http://keys.example.com/jwks' }, '"jwksUri"'],
    [{ ...valid, bearerMethods: ['cookie'] }, '"bearerMethods"'],
    [{ ...valid, claims: 'keycloak' }, '"claims"'],
    [{ ...valid, introspection: {} }, '"introspection.auth"'],
    [{ ...valid, introspection: { auth: { type: 'client_secret_basic', clientId: 'a' } } }, '"introspection.auth.clientSecret"'],
    [{ ...valid, introspection: { auth: { type: 'private_key_jwt', keyFile: { type: 'serviceaccount', keyId: '1', key: 'k', userId: 'u' } } } }, 'service user key'],
    [{ ...valid, introspection: { auth: { type: 'private_key_jwt', keyFile: '/nonexistent/key.json' } } }, 'could not be read'],
  ])('refuses %j naming the option', (options, expected) => {
    expect(messageOf(options)).toContain(expected);
  });

  it('accepts http only on loopback', () => {
    expect(resolveOptions({ issuer: 'http://127.0.0.1:8080', audience: 'a' }).issuer).toBe('http://127.0.0.1:8080');
    expect(resolveOptions({ issuer: 'http://localhost:8080', audience: 'a' }).issuer).toBe('http://localhost:8080');
  });
});
