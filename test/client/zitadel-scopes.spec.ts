import { describe, expect, it } from '@jest/globals';
import { createTokenSource, projectAudienceScope, TokenSourceError, zitadelScopes } from '../../lib/client/index.js';

describe('zitadelScopes', () => {
  it('spells ZITADEL\'s reserved scopes', () => {
    expect(zitadelScopes.projectAudience('294800000000000001')).toBe('urn:zitadel:iam:org:project:id:294800000000000001:aud');
    expect(zitadelScopes.projectAudience('294800000000000001')).toBe(projectAudienceScope('294800000000000001'));
    expect(zitadelScopes.zitadelApiAudience()).toBe('urn:zitadel:iam:org:project:id:zitadel:aud');
    expect(zitadelScopes.projectRoles()).toBe('urn:zitadel:iam:org:projects:roles');
    expect(zitadelScopes.projectRole('orders.read')).toBe('urn:zitadel:iam:org:project:role:orders.read');
    expect(zitadelScopes.resourceOwner()).toBe('urn:zitadel:iam:user:resourceowner');
    expect(zitadelScopes.organization('100000000000000001')).toBe('urn:zitadel:iam:org:id:100000000000000001');
    expect(zitadelScopes.rolesInOrganization('100000000000000001')).toBe('urn:zitadel:iam:org:roles:id:100000000000000001');
    expect(zitadelScopes.metadata()).toBe('urn:zitadel:iam:user:metadata');
  });

  it('gives the combination for roles and organization, or less when asked', () => {
    expect(zitadelScopes.apiAccess('42')).toEqual([
      'openid',
      'urn:zitadel:iam:org:project:id:42:aud',
      'urn:zitadel:iam:org:projects:roles',
      'urn:zitadel:iam:user:resourceowner',
    ]);
    expect(zitadelScopes.apiAccess('42', { roles: false, organization: false })).toEqual(['openid', 'urn:zitadel:iam:org:project:id:42:aud']);
    expect(Object.isFrozen(zitadelScopes.apiAccess('42'))).toBe(true);
  });

  it('is accepted as the token source\'s scope option', () => {
    expect(() =>
      createTokenSource({
        issuer: 'https://acme.zitadel.cloud',
        scope: zitadelScopes.apiAccess('42'),
        credentials: { type: 'client_credentials', clientId: 'orders-reporter', clientSecret: 's' },
      }),
    ).not.toThrow();
  });

  it.each([
    ['projectAudience', () => zitadelScopes.projectAudience(''), '"projectId"'],
    ['projectAudience', () => zitadelScopes.projectAudience('a b'), '"projectId"'],
    ['projectRole', () => zitadelScopes.projectRole(42 as unknown as string), '"roleKey"'],
    ['organization', () => zitadelScopes.organization('x"y'), '"organizationId"'],
    ['rolesInOrganization', () => zitadelScopes.rolesInOrganization(''), '"organizationId"'],
    ['apiAccess', () => zitadelScopes.apiAccess(''), '"projectId"'],
  ])('%s refuses a value that is no scope token, naming the argument', (_name, build, argument) => {
    expect(build).toThrow(TokenSourceError);
    expect(build).toThrow(argument);
    try {
      build();
    } catch (error) {
      expect((error as TokenSourceError).code).toBe('ERR_INVALID_OPTIONS');
    }
  });
});
