import { MemoryDpopReplayCache } from '../../lib/core/dpop.js';
import { ResourceServerOptionsError } from '../../lib/core/errors.js';
import { isAllowedIssuerEndpoint, resolveOptions } from '../../lib/core/options.js';
import { MemoryRevocationList } from '../../lib/core/revocation.js';
import { MemoryTokenCache } from '../../lib/core/token-cache.js';
import { createResourceServer } from '../../lib/core/resource-server.js';
import { PROJECT, createFakeIssuer } from './support/fake-issuer.js';
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

describe('resolveOptions: misspelled options (issue 16)', () => {
  const auth = { type: 'client_secret_basic', clientId: 'api', clientSecret: 'secret' } as const;

  it.each([
    [{ ...valid, audiance: '1' }, 'Unknown option "audiance": did you mean "audience"?'],
    [{ ...valid, timeOut: 1000 }, 'Unknown option "timeOut": did you mean "timeout"?'],
    [{ ...valid, jwks_uri: 'https://a.example/keys' }, 'Unknown option "jwks_uri": did you mean "jwksUri"?'],
    [{ ...valid, introspection: { auth, maxTTL: 5 } }, 'Unknown option "introspection.maxTTL": did you mean "introspection.maxTtl"?'],
    [{ ...valid, introspection: { auth: { ...auth, clientsecret: 'x' } } }, 'Unknown option "introspection.auth.clientsecret": did you mean "introspection.auth.clientSecret"?'],
    [
      { ...valid, introspection: { auth: { type: 'private_key_jwt', keyFile: '/k.json', clientId: 'x' } } },
      'Unknown option "introspection.auth.clientId" (the options here are "introspection.auth.type", "introspection.auth.keyFile")',
    ],
    [{ ...valid, dpop: { origin: ['https://api.acme.com'] } }, 'Unknown option "dpop.origin": did you mean "dpop.origins"?'],
    [{ ...valid, jwks: { coolDown: 1000 } }, 'Unknown option "jwks.coolDown": did you mean "jwks.cooldown"?'],
    [{ issuers: [{ ...valid, projectID: '2' }] }, 'Unknown option "issuers[0].projectID": did you mean "issuers[0].projectId"?'],
    [{ ...valid, resourceMetadata: { resource: 'https://api.acme.com', scopeSupported: [] } }, 'Unknown option "resourceMetadata.scopeSupported": did you mean "resourceMetadata.scopesSupported"?'],
    [
      { ...valid, resourceMetadata: { resource: 'https://api.acme.com', scopes: [] } },
      'Unknown option "resourceMetadata.scopes" (the options here are "resourceMetadata.resource", "resourceMetadata.authorizationServers", ' +
        '"resourceMetadata.scopesSupported", "resourceMetadata.resourceName", "resourceMetadata.resourceDocumentation")',
    ],
  ])('refuses %j with the nearest valid name', (options, expected) => {
    expect(messageOf(options)).toBe(expected);
  });

  it('accepts the Nest module\'s own "policy" key, which the module passes along', () => {
    expect(() => resolveOptions({ ...valid, policy: 'explicit' } as ResourceServerOptions)).not.toThrow();
  });
});

describe('resolveOptions: issuer URL rules (issue 15 item 11, issue 16)', () => {
  it.each([
    [
      'https://acme.zitadel.cloud?tenant=1',
      '"issuer" option must have no query or fragment (got the string "https://acme.zitadel.cloud?tenant=1"): discovery reads ' +
        '{issuer}/.well-known/openid-configuration and tokens\' iss is compared exactly; use "https://acme.zitadel.cloud"',
    ],
    [
      'https://acme.zitadel.cloud#x',
      '"issuer" option must have no query or fragment (got the string "https://acme.zitadel.cloud#x"): discovery reads ' +
        '{issuer}/.well-known/openid-configuration and tokens\' iss is compared exactly; use "https://acme.zitadel.cloud"',
    ],
    [
      'https://acme.zitadel.cloud/',
      '"issuer" option must not end with "/": ZITADEL\'s issuer has no trailing slash, and tokens\' iss is compared exactly ' +
        '(OpenID Connect Discovery 1.0 §4.3); use "https://acme.zitadel.cloud"',
    ],
    [
      'https://ACME.zitadel.cloud',
      '"issuer" option must be written as ZITADEL writes iss (lower-case scheme and host, no default port): use "https://acme.zitadel.cloud" ' +
        '(got the string "https://ACME.zitadel.cloud"); iss is compared exactly, without case folding',
    ],
    [
      'https://acme.zitadel.cloud:443',
      '"issuer" option must be written as ZITADEL writes iss (lower-case scheme and host, no default port): use "https://acme.zitadel.cloud" ' +
        '(got the string "https://acme.zitadel.cloud:443"); iss is compared exactly, without case folding',
    ],
    ['acme.zitadel.cloud', '"issuer" option must be an absolute https: URL such as "https://acme.zitadel.cloud" (got the string "acme.zitadel.cloud")'],
    [
      'http://zitadel:8080',
      '"issuer" option must be an https: URL (http: is allowed only for 127.0.0.1 or localhost, for development; ' +
        'for a plain-http issuer inside a cluster set allowInsecureIssuer: true)',
    ],
  ])('refuses the issuer %s at construction, with the fix', (issuer, expected) => {
    expect(messageOf({ issuer, audience: '1' })).toBe(expected);
  });

  it('names the issuer in the list', () => {
    expect(messageOf({ issuers: [valid, { issuer: 'https://b.zitadel.cloud/', audience: '2' }] })).toMatch(/^"issuers\[1\]\.issuer" option must not end with "\/"/);
  });

  it('keeps a trailing slash with the generic preset, where issuers such as Auth0 have one, and never folds case', () => {
    expect(resolveOptions({ issuer: 'https://tenant.example.com/', audience: '1', claims: 'generic' }).issuer).toBe('https://tenant.example.com/');
    expect(resolveOptions({ issuer: 'https://Tenant.example.com', audience: '1', claims: 'generic' }).issuer).toBe('https://Tenant.example.com');
  });
});

describe('resolveOptions: types say what came in (issue 16)', () => {
  it.each([
    [{ ...valid, timeout: '3000' }, '"timeout" option must be an integer from 100 to 60000 (got the string "3000")'],
    [{ ...valid, timeout: 70_000 }, '"timeout" option must be an integer from 100 to 60000 (got 70000)'],
    [{ ...valid, clockTolerance: null }, '"clockTolerance" option must be an integer from 0 to 60 (got null)'],
    [{ ...valid, jwks: { cooldown: '5s' } }, '"jwks.cooldown" option must be an integer from 0 to 300000 (got the string "5s")'],
    [{ ...valid, realm: 42 }, '"realm" option must be a non-empty string (got 42)'],
    [{ ...valid, claims: 'keycloak' }, '"claims" option must be one of "zitadel", "generic" (got the string "keycloak")'],
    [{ ...valid, revocationUnavailable: true }, '"revocationUnavailable" option must be one of "fail-open", "fail-closed" (got true)'],
    [{ ...valid, logger: null }, '"logger" option must have warn(), error() methods: e.g. console, or your framework\'s logger (got null)'],
    [{ ...valid, revocation: {} }, '"revocation" option must have isRevoked(), revoke() methods: a RevocationList such as new MemoryRevocationList() (got an object)'],
    [{ ...valid, fetch: 'fetch' }, '"fetch" option must be a function (url, init) => Promise<Response> (got the string "fetch")'],
    [{ ...valid, jwks: 5000 }, '"jwks" option must be an object { cooldown?, maxAge? } (got 5000)'],
    [
      { ...valid, introspection: { auth: { type: 'client_secret_basic', clientId: 'api', clientSecret: 12345 } } },
      '"introspection.auth.clientSecret" option must be a non-empty string (got 12345)',
    ],
    [
      { ...valid, introspection: { auth: { type: 'client_secret_basic', clientId: 'api', clientSecret: '  ' } } },
      '"introspection.auth.clientSecret" option must be a non-empty string (got a string)',
    ],
    [{ ...valid, introspection: { auth: { type: 'basic' } } }, '"introspection.auth.type" option must be "client_secret_basic" or "private_key_jwt" (got the string "basic")'],
  ])('refuses %j', (options, expected) => {
    expect(messageOf(options)).toBe(expected);
  });

  it('explains that ZITADEL ids must be strings', () => {
    const why =
      'ZITADEL ids such as 294800000000000001 exceed 2^53, so as JavaScript numbers they lose their last digits; write the id in quotes, e.g. "294800000000000001"';
    // 294800000000000001 as a JavaScript number is already 294800000000000000.
    expect(messageOf({ issuer: valid.issuer, audience: 294800000000000000 })).toBe(`"audience" option must be a string, not a number (got 294800000000000000): ${why}`);
    expect(messageOf({ issuer: valid.issuer, audience: ['api', 294800000000000000] })).toBe(`"audience[1]" option must be a string, not a number (got 294800000000000000): ${why}`);
    expect(messageOf({ ...valid, projectId: 294800000000000000 })).toBe(`"projectId" option must be a string, not a number (got 294800000000000000): ${why}`);
    expect(messageOf({ issuers: [{ issuer: valid.issuer, audience: 7 }] })).toBe(`"issuers[0].audience" option must be a string, not a number (got 7): ${why}`);
  });
});

describe('resolveOptions: allowInsecureIssuer (issue 16 item 4)', () => {
  function capture() {
    const lines: string[] = [];
    return { lines, logger: { warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`) } };
  }

  it('accepts a plain-http issuer inside a cluster only when asked, and says so once at construction', () => {
    const { lines, logger } = capture();
    const resolved = resolveOptions({ issuer: 'http://zitadel:8080', audience: '1', allowInsecureIssuer: true, logger, jwksUri: 'http://zitadel:8080/oauth/v2/keys' });
    expect(resolved.issuer).toBe('http://zitadel:8080');
    expect(resolved.insecure).toBe(true);
    expect(resolved.jwksUri).toBe('http://zitadel:8080/oauth/v2/keys');
    expect(lines).toEqual([
      'warn "allowInsecureIssuer" is on: http://zitadel:8080 is trusted over plain http. Signing keys, the introspection credentials and ' +
        "callers' tokens cross the network unencrypted and unauthenticated; use this only inside a network you control (a cluster), never across the internet",
    ]);
  });

  it('is never the default, takes a boolean only, logs nothing for https issuers, and allows http endpoints on the issuer\'s origin only', () => {
    const { lines, logger } = capture();
    expect(resolveOptions({ ...valid, logger }).allowInsecureIssuer).toBe(false);
    expect(resolveOptions({ ...valid, logger, allowInsecureIssuer: true }).insecure).toBe(false);
    expect(lines).toEqual([]);
    expect(messageOf({ issuer: 'http://zitadel:8080', audience: '1', allowInsecureIssuer: 'true' })).toBe('"allowInsecureIssuer" option must be true or false (got the string "true")');
    expect(messageOf({ issuer: 'http://zitadel:8080', audience: '1', allowInsecureIssuer: true, logger, jwksUri: 'http://keys.internal/jwks' })).toBe(
      '"jwksUri" option must be an https: URL (http: only on 127.0.0.1 or localhost, or on http://zitadel:8080 with allowInsecureIssuer) (got the string "http://keys.internal/jwks")',
    );
  });

  it('works end to end: discovery and keys of http://zitadel:8080 (injected fetch), a JWT of that issuer accepted', async () => {
    const insecure = await createFakeIssuer({ issuer: 'http://zitadel:8080' });
    const { logger, lines } = capture();
    const rs = createResourceServer({ issuer: 'http://zitadel:8080', audience: PROJECT, allowInsecureIssuer: true, fetch: insecure.fetch, logger });
    const principal = await rs.authenticate(`Bearer ${await insecure.mintJwt()}`);
    expect(principal.issuer).toBe('http://zitadel:8080');
    expect(insecure.requested).toEqual(['http://zitadel:8080/.well-known/openid-configuration', 'http://zitadel:8080/oauth/v2/keys']);
    expect(lines).toHaveLength(1);
  });

  it('accepts configured http endpoints on the insecure issuer\'s own origin only', () => {
    const { logger } = capture();
    const [issuer] = resolveOptions({ issuer: 'http://zitadel:8080', audience: '1', allowInsecureIssuer: true, logger }).issuers;
    expect(isAllowedIssuerEndpoint('http://zitadel:8080/oauth/v2/keys', issuer!)).toBe(true);
    expect(isAllowedIssuerEndpoint('http://zitadel:9090/oauth/v2/keys', issuer!)).toBe(false);
    expect(isAllowedIssuerEndpoint('http://evil:8080/oauth/v2/keys', issuer!)).toBe(false);
    expect(isAllowedIssuerEndpoint('http://zitadel:8080/oauth/v2/keys', resolveOptions(valid).issuers[0]!)).toBe(false);
  });
});

describe('resolveOptions: DPoP origins (issue 15 item 3)', () => {
  it('requires the origins clients use, and says what to set', () => {
    expect(messageOf({ ...valid, dpop: {} })).toBe(
      '"dpop.origins" option is required with "dpop": the origins clients call this API at, e.g. dpop: { origins: ["https://api.acme.com"] } ' +
        '(or set "resourceMetadata.resource"). A proof names the URL it is for (htu); it is checked against these, never against the Host header of the request',
    );
  });

  it('defaults to the origin of resourceMetadata.resource, and reduces each origin to URL.origin', () => {
    expect(resolveOptions({ ...valid, dpop: {}, resourceMetadata: { resource: 'https://api.acme.com:443/orders' } }).dpop!.origins).toEqual(['https://api.acme.com']);
    expect(resolveOptions({ ...valid, dpop: { origins: ['https://API.acme.com/', 'http://localhost:3000', 'https://api.acme.com'] } }).dpop!.origins).toEqual([
      'https://api.acme.com',
      'http://localhost:3000',
    ]);
  });

  it.each([
    [['https://api.acme.com/v1'], '"dpop.origins[0]" option must be an origin such as "https://api.acme.com": http: or https:, a host and an optional port, nothing after it (got the string "https://api.acme.com/v1")'],
    [['api.acme.com'], '"dpop.origins[0]" option must be an origin such as "https://api.acme.com": http: or https:, a host and an optional port, nothing after it (got the string "api.acme.com")'],
    [['https://api.acme.com?x'], '"dpop.origins[0]" option must be an origin such as "https://api.acme.com": http: or https:, a host and an optional port, nothing after it (got the string "https://api.acme.com?x")'],
    [[], '"dpop.origins" option must be a non-empty list of origins, e.g. ["https://api.acme.com"] (got an array)'],
    ['https://api.acme.com', '"dpop.origins" option must be a non-empty list of origins, e.g. ["https://api.acme.com"] (got the string "https://api.acme.com")'],
    [['https://api.acme.com', 'http://api.acme.com'], '"dpop.origins" option lists https://api.acme.com and http://api.acme.com: one host can have one scheme only'],
  ])('refuses dpop.origins %j', (origins, expected) => {
    expect(messageOf({ ...valid, dpop: { origins } })).toBe(expected);
  });
});

describe('caches and revocation lists refuse bad options with ResourceServerOptionsError', () => {
  function refusal(make: () => unknown): { code: string; message: string } {
    try {
      make();
    } catch (error) {
      expect(error).toBeInstanceOf(ResourceServerOptionsError);
      return { code: (error as ResourceServerOptionsError).code, message: (error as Error).message };
    }
    throw new Error('expected a refusal');
  }

  it.each([
    ['MemoryTokenCache max: 0', () => new MemoryTokenCache({ max: 0 }), '"max" option must be an integer from 1 to 100000000 (got 0)'],
    ['MemoryTokenCache max: "10"', () => new MemoryTokenCache({ max: '10' as unknown as number }), '"max" option must be an integer from 1 to 100000000 (got the string "10")'],
    ['MemoryTokenCache maxSize', () => new MemoryTokenCache({ maxSize: 10 } as never), 'Unknown option "maxSize" (the options here are "max")'],
    ['MemoryRevocationList defaultTtl: 10', () => new MemoryRevocationList({ defaultTtl: 10 }), '"defaultTtl" option must be an integer from 1000 to 31622400000 (got 10)'],
    ['MemoryRevocationList max: -1', () => new MemoryRevocationList({ max: -1 }), '"max" option must be an integer from 1 to 100000000 (got -1)'],
    ['MemoryDpopReplayCache max: 0', () => new MemoryDpopReplayCache({ max: 0 }), '"max" option must be a positive integer (got 0)'],
    ['revoke({ jti: "" })', () => new MemoryRevocationList().revoke({ jti: '' }), 'revoke(): "jti" must be a non-empty string (got an empty string)'],
    ['revoke({ token: 42 })', () => new MemoryRevocationList().revoke({ token: 42 } as never), 'revoke(): "token" must be a non-empty string (got 42)'],
    ['revoke({ issuedBefore: "yesterday" })', () => new MemoryRevocationList().revoke({ subject: 'u', issuedBefore: 'yesterday' } as never), 'revoke(): "issuedBefore" must be a valid Date (got the string "yesterday")'],
    ['revoke({ until: 5 })', () => new MemoryRevocationList().revoke({ jti: 'x', until: 5 } as never), 'revoke(): "until" must be a valid Date (got 5)'],
    [
      'revoke({})',
      () => new MemoryRevocationList().revoke({} as never),
      'revoke(): a revocation target is { token }, { tokenHash }, { jti } or { subject, issuedBefore }, each with an optional until (a Date)',
    ],
  ])('%s', (_label, make, expected) => {
    expect(refusal(make)).toEqual({ code: 'ERR_INVALID_OPTIONS', message: expected });
  });

  it('still revokes what it is given', () => {
    const list = new MemoryRevocationList();
    list.revoke({ jti: 'V2_1' });
    list.revoke({ subject: 'user-1', issuedBefore: new Date(2_000_000_000_000) });
    expect(list.isRevoked({ tokenHash: 'h', jti: 'V2_1', subject: undefined, issuedAt: undefined })).toBe(true);
    expect(list.isRevoked({ tokenHash: 'h', jti: 'other', subject: 'user-1', issuedAt: 1_900_000_000 })).toBe(true);
    expect(list.isRevoked({ tokenHash: 'h', jti: 'other', subject: 'user-1', issuedAt: 2_100_000_000 })).toBe(false);
  });
});
