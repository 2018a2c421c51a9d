import { createResourceServer } from '../../lib/core/resource-server.js';
import { ResourceServerError, ResourceServerOptionsError } from '../../lib/core/errors.js';
import { createTestPrincipal } from '../../lib/testing/index.js';

// A custom adapter that hands the resource server something it did not make gets the
// package's own error with a stable code, not a bare TypeError it cannot tell apart.
describe('misuse of the public API is a ResourceServerOptionsError', () => {
  const rs = createResourceServer({ issuer: 'https://acme.zitadel.cloud', audience: 'api', projectId: 'api', fetch: async () => new Response('{}', { status: 500 }) });
  const other = createResourceServer({ issuer: 'https://acme.zitadel.cloud', audience: 'api', projectId: 'api', fetch: async () => new Response('{}', { status: 500 }) });

  function thrown(run: () => unknown): ResourceServerOptionsError {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ResourceServerOptionsError);
      expect(error).toBeInstanceOf(ResourceServerError);
      expect((error as ResourceServerOptionsError).code).toBe('ERR_INVALID_OPTIONS');
      return error as ResourceServerOptionsError;
    }
    throw new Error('expected a throw');
  }

  it('authorize() with a principal it never authenticated (one from createTestPrincipal())', async () => {
    await expect(rs.authorize(createTestPrincipal(), [])).rejects.toThrow(
      new ResourceServerOptionsError('authorize() takes a principal that authenticate() of the same resource server returned'),
    );
    await expect(rs.authorize(createTestPrincipal(), [])).rejects.toMatchObject({ code: 'ERR_INVALID_OPTIONS' });
  });

  it('refine() with a decision of another resource server', () => {
    const decision = other.decide({ http: { headers: {} }, route: undefined } as never);
    expect(thrown(() => rs.refine(decision as never, undefined as never)).message).toMatch(/^refine\(\) takes a decision returned by decide\(\) of the same resource server/);
  });

  it('ready() with options that are not an object', async () => {
    await expect(Promise.resolve().then(() => rs.ready('yes' as never))).rejects.toThrow(ResourceServerOptionsError);
  });
});
