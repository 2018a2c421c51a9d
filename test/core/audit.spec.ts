/** The actor in the audit event (issue 14). */
import { auditEvent } from '../../lib/core/audit.js';
import { InvalidTokenError } from '../../lib/core/errors.js';
import { toPrincipal } from '../../lib/core/principal.js';

const facts = { verifiedBy: 'jwks' as const, tokenKind: 'jwt' as const, shortHash: 'sha256:0123456789abcdef' };
const options = { preset: 'zitadel' as const, projectId: undefined, rolesClaim: undefined, issuer: 'https://acme.zitadel.cloud' };
const request = { route: { method: 'POST', template: '/orders', path: '/orders' }, requestId: 'req-1', ip: '10.0.0.1', startedAt: performance.now() };
const now = () => Date.UTC(2026, 11, 1);

describe('auditEvent', () => {
  it('names the actor next to the impersonated subject', () => {
    const principal = toPrincipal({ sub: '294900000000000001', act: { iss: 'https://acme.zitadel.cloud', sub: '294900000000000042' } }, facts, options);
    const event = auditEvent(request, { principal }, now);
    expect(event).toMatchObject({
      decision: 'allow',
      subject: '294900000000000001',
      actor: { subject: '294900000000000042', issuer: 'https://acme.zitadel.cloud' },
    });
    expect(JSON.parse(JSON.stringify(event)).actor).toEqual({ subject: '294900000000000042', issuer: 'https://acme.zitadel.cloud' });
  });

  it('has no actor field when nobody acted for the subject, nor on a refusal without principal', () => {
    const principal = toPrincipal({ sub: '294900000000000001' }, facts, options);
    expect(auditEvent(request, { principal }, now)).not.toHaveProperty('actor');
    expect(auditEvent(request, { error: new InvalidTokenError('ERR_TOKEN_EXPIRED', 'The token has expired') }, now)).not.toHaveProperty('actor');
  });

  it('keeps an actor without issuer', () => {
    const principal = toPrincipal({ sub: 'u', act: { sub: 'admin' } }, facts, options);
    expect(auditEvent(request, { principal }, now).actor).toEqual({ subject: 'admin', issuer: undefined });
  });
});
