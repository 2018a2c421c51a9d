/** Cheap shape checks of ZITADEL's token formats (issue 15 item 4), and their effect: no upstream call. */
import { randomBytes, randomUUID } from 'node:crypto';
import { hasZitadelTokenShape } from '../../../lib/core/introspection/zitadel-token-shape.js';
import { createResourceServer } from '../../../lib/core/resource-server.js';
import { ISSUER, PROJECT, API_CLIENT_ID, clock, createFakeIssuer, patAnswer, silent } from '../support/fake-issuer.js';
import { zitadelId, zitadelJweToken, zitadelOpaqueToken, zitadelPat } from '../support/zitadel-tokens.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The same bytes with an unused trailing bit set (71 characters carry 2 unused bits). */
function respelled(token: string): string {
  const last = ALPHABET.indexOf(token.at(-1)!);
  return token.slice(0, -1) + ALPHABET[last ^ 1];
}

describe('hasZitadelTokenShape', () => {
  it("accepts ZITADEL's PATs (71 characters) and opaque tokens (104 characters, and the JWE form)", async () => {
    const pat = zitadelPat();
    const opaque = zitadelOpaqueToken();
    expect(pat).toHaveLength(71);
    expect(opaque).toHaveLength(104);
    expect(hasZitadelTokenShape(pat)).toBe(true);
    expect(Buffer.from(respelled(pat), 'base64url').equals(Buffer.from(pat, 'base64url'))).toBe(true);
    expect(hasZitadelTokenShape(opaque)).toBe(true);
    expect(hasZitadelTokenShape(await zitadelJweToken())).toBe(true);
  });

  it('accepts the lengths real instances produce: 17-digit ids of early instances, long custom user ids', () => {
    expect(hasZitadelTokenShape(zitadelPat('69629023906488334'))).toBe(true);
    expect(hasZitadelTokenShape(zitadelPat('x'))).toBe(true);
    expect(hasZitadelTokenShape(zitadelPat(`urn:acme:idp:user:${randomUUID()}`.padEnd(200, 'x')))).toBe(true);
    expect(hasZitadelTokenShape(zitadelOpaqueToken(`urn:ludocare:idp:user:${randomUUID()}`))).toBe(true);
  });

  it('accepts 32 random bytes: issuers that emulate ZITADEL (oidc-provider\'s opaque format) still introspect', () => {
    expect(hasZitadelTokenShape(randomBytes(32).toString('base64url'))).toBe(true);
  });

  it('accepts JWS access tokens (they are introspected for scopes and active-token routes)', () => {
    const jws = `${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.c2ln`;
    expect(hasZitadelTokenShape(jws)).toBe(true);
  });

  it.each([
    ['a word', 'nope'],
    ['a UUID', randomUUID()],
    ['32 hex characters', randomBytes(16).toString('hex')],
    ['31 random bytes', randomBytes(31).toString('base64url')],
    ['too long', randomBytes(16 + 257).toString('base64url')],
    ['padding', `${zitadelPat()}=`],
    ['standard base64 characters', `${randomBytes(45).toString('base64url')}+/`],
    ['non-canonical trailing bits (another spelling of a valid PAT)', respelled(zitadelPat())],
    ['two segments', `${zitadelPat()}.${zitadelPat()}`],
    ['three junk segments', 'a.b.c'],
    ['four segments', 'a.b.c.d'],
    ['a JWE with another algorithm', `${Buffer.from('{"alg":"dir","enc":"A256GCM"}').toString('base64url')}..${randomBytes(12).toString('base64url')}.${randomBytes(40).toString('base64url')}.${randomBytes(16).toString('base64url')}`],
    ['unicode', `${'é'.repeat(60)}`],
  ])('refuses %s', (_name, token) => {
    expect(hasZitadelTokenShape(token)).toBe(false);
  });

  it('refuses a JWE with ZITADEL\'s header but segments of the wrong size', async () => {
    const [header, key, iv, ciphertext, tag] = (await zitadelJweToken()).split('.') as [string, string, string, string, string];
    expect(hasZitadelTokenShape([header, key, iv, ciphertext, tag].join('.'))).toBe(true);
    expect(hasZitadelTokenShape([header, key.slice(4), iv, ciphertext, tag].join('.'))).toBe(false);
    expect(hasZitadelTokenShape([header, key, iv, ciphertext, tag.slice(4)].join('.'))).toBe(false);
    expect(hasZitadelTokenShape([header, key, iv, 'AAAA', tag].join('.'))).toBe(false);
  });
});

describe('the shape check in the pipeline', () => {
  async function server(claims: 'zitadel' | 'generic') {
    const time = clock();
    const issuer = await createFakeIssuer({ now: time.now });
    issuer.introspection = () => ({ body: patAnswer(time.now(), { [`urn:zitadel:iam:org:project:${PROJECT}:roles`]: undefined }) });
    const rs = createResourceServer({
      issuer: ISSUER,
      audience: PROJECT,
      claims,
      logger: silent,
      fetch: issuer.fetch,
      now: time.now,
      introspection: { endpoint: `${ISSUER}/oauth/v2/introspect`, auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 's' } },
    });
    return { rs, issuer };
  }

  it('refuses a token that is not ZITADEL-shaped with 401 ERR_TOKEN_MALFORMED and no upstream call (zitadel preset)', async () => {
    const { rs, issuer } = await server('zitadel');
    for (const token of ['unknown-opaque-token-0123456789', randomUUID(), 'nobody-knows-this-one', randomBytes(20).toString('hex')]) {
      await expect(rs.authenticate(`Bearer ${token}`)).rejects.toMatchObject({ code: 'ERR_TOKEN_MALFORMED', status: 401 });
    }
    expect(issuer.calls).toEqual({ discovery: 0, jwks: 0, introspection: 0 });
    await expect(rs.authenticate(`Bearer ${zitadelPat(zitadelId())}`)).resolves.toMatchObject({ verifiedBy: 'introspection' });
    expect(issuer.calls.introspection).toBe(1);
  });

  it("introspects ZITADEL's JWE opaque tokens instead of refusing them as encrypted JWTs", async () => {
    const { rs, issuer } = await server('zitadel');
    const token = await zitadelJweToken();
    await expect(rs.authenticate(`Bearer ${token}`)).resolves.toMatchObject({ verifiedBy: 'introspection', tokenKind: 'opaque' });
    expect(issuer.introspected).toEqual([token]);
  });

  it('does not check shapes in the generic preset (other issuers have other formats)', async () => {
    const { rs, issuer } = await server('generic');
    await expect(rs.authenticate(`Bearer ${randomUUID()}`)).resolves.toMatchObject({ verifiedBy: 'introspection' });
    expect(issuer.calls.introspection).toBe(1);
  });
});
