/**
 * Where an opaque token goes, decided in the core with an injected fetch: never to an
 * issuer that is not its own, and never silently refused without telling the operator.
 */
import { createResourceServer } from '../../../lib/core/resource-server.js';
import type { AuthError } from '../../../lib/core/errors.js';

function refusal(promise: Promise<unknown>): Promise<AuthError> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error as AuthError,
  );
}

describe('opaque tokens without introspection', () => {
  it('are refused with 401 ERR_TOKEN_UNSUPPORTED and one operator line that says what to configure, without any upstream call', async () => {
    const warnings: string[] = [];
    let calls = 0;
    const rs = createResourceServer({
      issuer: 'https://acme.zitadel.cloud',
      audience: '294800000000000001',
      logger: { warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
      fetch: async () => {
        calls += 1;
        throw new Error('no network in this test');
      },
    });
    for (const token of ['opaque-token-1', 'opaque-token-2']) {
      const error = await refusal(rs.authenticate(`Bearer ${token}`));
      expect([error.code, error.status, error.message]).toEqual(['ERR_TOKEN_UNSUPPORTED', 401, 'Opaque tokens are not accepted here; send a JWT access token']);
    }
    expect(warnings).toEqual([
      'An opaque token (or a ZITADEL personal access token) was refused with 401 because "introspection" is not configured. ' +
        'ZITADEL issues opaque access tokens by default: configure "introspection" with the API application\'s credentials, or set the service user\'s access token type to JWT',
    ]);
    expect(calls).toBe(0);
  });
});
