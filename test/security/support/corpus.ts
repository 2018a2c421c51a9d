import { createHmac, randomBytes } from 'node:crypto';
import type { AuthErrorCode } from '../../../lib/core/errors.js';
import { MemoryRevocationList } from '../../../lib/core/revocation.js';
import type { AppKind } from '../../support/app-kinds.js';
import { authBeforeBody, isExpress, isFastifyRouter } from '../../support/app-kinds.js';
import type { AttackContext } from './attack-context.js';
import { TRUSTED_EC_KID, TRUSTED_RSA_KID } from './attack-context.js';

/** One attack request. Tokens in `Authorization: Bearer` headers are leak-checked automatically. */
export interface AttackRequest {
  readonly path?: string;
  readonly method?: string;
  readonly headers?: [string, string][];
  readonly body?: string;
  /** Request line and header lines sent byte for byte (for what Node's HTTP client refuses to write). */
  readonly raw?: Buffer;
  /** Further strings that must never be echoed (tokens outside a Bearer header). */
  readonly secrets?: readonly string[];
}

/** What the resource server must answer. */
export interface Expectation {
  readonly status: number;
  /** The stable error code, also the audit event's `reason`. */
  readonly code?: AuthErrorCode;
  /** Exact `WWW-Authenticate`; `null`: must be absent; `undefined`: not checked. */
  readonly challenge?: string | null;
  /** A part of `WWW-Authenticate`, when the exact value is not part of the contract. */
  readonly challengeIncludes?: string;
  /** The JSON body's `error_description` (its `error` must be the challenge's `error`). */
  readonly description?: string;
  /** Whether the decision must produce exactly one audit event. Default: yes. */
  readonly audited?: boolean;
  /** For 200 answers on /me and /public: the subject the route reports (`null`: no caller). */
  readonly subject?: string | null;
}

export interface AttackCase {
  readonly id: string;
  readonly name: string;
  build(ctx: AttackContext): Promise<AttackRequest> | AttackRequest;
  readonly expect: Expectation | ((kind: AppKind) => Expectation);
  /** Set when the library is known to get this wrong; the case then runs as `it.failing`. */
  readonly knownBug?: string;
}

// ---------------------------------------------------------------------------------------
// Expected answers

const REALM = 'Bearer realm="api"';
export const D = {
  alg: 'The token is signed with an algorithm that is not allowed',
  header: (name: string) => `The token header must not carry ${name}`,
  crit: 'The token header lists critical extensions this server does not support',
  kid: 'The token header has a malformed kid',
  typ: 'The token is not an access token (unexpected typ)',
  unknownKey: 'The token was signed with an unknown key',
  signature: 'The token signature is invalid',
  malformed: 'The token is malformed',
  jwe: 'Encrypted tokens (JWE) are not accepted',
  inactive: 'The token is not active',
  expired: 'The token has expired',
  notYet: 'The token is not valid yet',
  future: 'The token was issued in the future',
  idToken: 'ID tokens are not accepted as access tokens',
  claim: (claim: string) => `The token's ${claim} claim is not accepted`,
  noClaim: (claim: string) => `The token has no ${claim} claim`,
  noSub: 'The token has no valid "sub" claim',
  noJti: 'The token has no valid jti claim',
  revoked: 'The token has been revoked',
  malformedBearer: 'Malformed Bearer credentials',
  noToken: 'The Bearer credentials carry no token',
  twoHeaders: 'Only one Authorization header is allowed',
  query: 'Tokens in the query string are not accepted',
  body: 'Tokens in the request body are not accepted',
  onePlace: 'The token must be sent in exactly one place',
} as const;

const missing: Expectation = { status: 401, code: 'ERR_TOKEN_MISSING', challenge: REALM };

/** What `error_description` becomes inside the challenge: RFC 6750 §3 leaves out `"` and `\`. */
const quoted = (description: string): string => description.replace(/["\\]/g, '');

function invalidToken(code: AuthErrorCode, description: string): Expectation {
  return {
    status: 401,
    code,
    challenge: `${REALM}, error="invalid_token", error_description="${quoted(description)}"`,
    description,
  };
}

function invalidRequest(description: string): Expectation {
  return {
    status: 400,
    code: 'ERR_INVALID_REQUEST',
    challenge: `${REALM}, error="invalid_request", error_description="${description}"`,
    description,
  };
}

function insufficient(code: AuthErrorCode, description: string, scope?: string): Expectation {
  return {
    status: 403,
    code,
    challenge: `${REALM}, error="insufficient_scope", error_description="${description}"${scope ? `, scope="${scope}"` : ''}`,
    description,
  };
}

const ok = (subject: string | null = '200000000000000001'): Expectation => ({ status: 200, subject });

/** A refusal by Node's HTTP parser or the framework, before any auth code runs. */
const parserRefusal = (status: number): Expectation => ({ status, challenge: null, audited: false });

const alg = invalidToken('ERR_ALG_NOT_ALLOWED', D.alg);
const unknownKey = invalidToken('ERR_KEY_NOT_FOUND', D.unknownKey);
const badSignature = invalidToken('ERR_SIGNATURE_INVALID', D.signature);
const malformed = invalidToken('ERR_TOKEN_MALFORMED', D.malformed);
const inactive = invalidToken('ERR_TOKEN_INACTIVE', D.inactive);
const headerParam = (name: string) => invalidToken('ERR_HEADER_NOT_ALLOWED', D.header(name));
const crit = invalidToken('ERR_HEADER_NOT_ALLOWED', D.crit);
const badKid = invalidToken('ERR_TOKEN_MALFORMED', D.kid);
const badTyp = invalidToken('ERR_TOKEN_UNSUPPORTED', D.typ);
const claimRefused = (claim: string) => invalidToken('ERR_CLAIM_INVALID', D.claim(claim));

// ---------------------------------------------------------------------------------------
// Request helpers

const b64 = (value: string | Buffer): string => Buffer.from(value).toString('base64url');
const bearer = (token: string, path = '/me'): AttackRequest => ({ path, headers: [['authorization', `Bearer ${token}`]] });
const head = (...parts: (string | Buffer)[]): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part)));

function segments(token: string): [string, string, string] {
  const [h = '', p = '', s = ''] = token.split('.');
  return [h, p, s];
}

/** `header.payload.` plus `signature`, the header re-encoded from JSON. */
function withHeader(token: string, header: Record<string, unknown>): string {
  const [, p, s] = segments(token);
  return `${b64(JSON.stringify(header))}.${p}.${s}`;
}

/** A P-256 signature of r and s (IEEE P1363, 32 bytes each). */
function p1363(r: Buffer, s: Buffer): string {
  return Buffer.concat([r, s]).toString('base64url');
}
const P256_ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');

/** Re-encodes the signature segment with padding: other bytes on the wire, same signature. */
function paddedSignature(token: string): string {
  return `${token}==`;
}

/** Changes the unused low bits of the signature's last base64url character. */
function trailingBits(token: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = token.at(-1)!;
  return `${token.slice(0, -1)}${alphabet[alphabet.indexOf(last) ^ 1]}`;
}

const hmacConfusion = async (ctx: AttackContext, algName: 'HS256' | 'HS384' | 'HS512', secret: 'pem' | 'jwk'): Promise<AttackRequest> => {
  const key = new TextEncoder().encode(secret === 'pem' ? ctx.issuerPem : JSON.stringify(ctx.issuerJwk));
  return bearer(await ctx.issuer.mintJwt({}, { alg: algName, key }));
};

const ADMIN_ROLES = (ctx: AttackContext) => ctx.issuer.roleClaims(['orders.admin']);
const ROLES_CLAIM = 'urn:zitadel:iam:org:project:test-project:roles';

// ---------------------------------------------------------------------------------------
// The corpus

export const CORPUS: readonly AttackCase[] = [
  // --- transport: RFC 6750 §2.1 parsing --------------------------------------------------
  { id: 'T01', name: 'no Authorization header', build: () => ({ path: '/me' }), expect: missing },
  { id: 'T02', name: 'Basic credentials', build: () => ({ headers: [['authorization', 'Basic dXNlcjpwYXNz']] }), expect: missing },
  { id: 'T03', name: 'empty Authorization header', build: () => ({ raw: head('GET /me HTTP/1.1\r\nAuthorization: ') }), expect: missing },
  {
    id: 'T04',
    name: 'homoglyph scheme "Веаrer" (Cyrillic В, е, а) with a valid token',
    build: async (ctx) => {
      const token = await ctx.issuer.mintJwt();
      return { raw: head('GET /me HTTP/1.1\r\nAuthorization: ', Buffer.from('Веаrer ', 'utf8'), token), secrets: [token] };
    },
    expect: missing,
  },
  {
    id: 'T05',
    name: 'no-break space (U+00A0) between scheme and token',
    build: async (ctx) => {
      const token = await ctx.issuer.mintJwt();
      return { raw: head('GET /me HTTP/1.1\r\nAuthorization: Bearer', Buffer.from('\u00a0', 'utf8'), token), secrets: [token] };
    },
    expect: missing,
  },
  {
    id: 'T06',
    name: 'tab between scheme and token',
    build: async (ctx) => ({ headers: [['authorization', `Bearer\t${await ctx.issuer.mintJwt()}`]] }),
    expect: invalidRequest(D.malformedBearer),
  },
  {
    id: 'T07',
    name: 'trailing tab after a valid token (HTTP optional whitespace, stripped by the parser)',
    build: async (ctx) => ({ raw: head(`GET /me HTTP/1.1\r\nAuthorization: Bearer ${await ctx.issuer.mintJwt()}\t`) }),
    expect: ok(),
  },
  { id: 'T08', name: '"Bearer" without a token', build: () => ({ headers: [['authorization', 'Bearer']] }), expect: invalidRequest(D.noToken) },
  {
    id: 'T09',
    name: 'two tokens, comma-joined without a space',
    build: async (ctx) => {
      const token = await ctx.issuer.mintJwt();
      return bearer(`${token},${token}`);
    },
    expect: invalidRequest(D.malformedBearer),
  },
  {
    id: 'T10',
    name: 'a second Authorization header (Bearer, then Basic)',
    build: async (ctx) => ({
      headers: [['authorization', `Bearer ${await ctx.issuer.mintJwt()}`], ['authorization', 'Basic dXNlcjpwYXNz']],
    }),
    expect: invalidRequest(D.twoHeaders),
  },
  {
    id: 'T11',
    name: 'a second Authorization header spelled differently (AUTHORIZATION), invalid first',
    build: async (ctx) => ({
      headers: [['Authorization', 'Bearer forged'], ['AUTHORIZATION', `Bearer ${await ctx.issuer.mintJwt()}`]],
    }),
    expect: invalidRequest(D.twoHeaders),
  },
  {
    id: 'T12',
    name: 'quoted token',
    build: async (ctx) => bearer(`"${await ctx.issuer.mintJwt()}"`),
    expect: invalidRequest(D.malformedBearer),
  },
  {
    id: 'T13',
    name: 'newline inside the token (obsolete line folding)',
    build: async (ctx) => {
      const [h, p, s] = segments(await ctx.issuer.mintJwt());
      return { raw: head(`GET /me HTTP/1.1\r\nAuthorization: Bearer ${h}.${p}\r\n .${s}`) };
    },
    expect: parserRefusal(400),
  },
  {
    id: 'T14',
    name: 'NUL byte inside the token',
    build: async (ctx) => {
      const [h, p, s] = segments(await ctx.issuer.mintJwt());
      return { raw: head(`GET /me HTTP/1.1\r\nAuthorization: Bearer ${h}.${p}\u0000.${s}`) };
    },
    expect: parserRefusal(400),
  },
  {
    id: 'T15',
    name: 'non-ASCII (UTF-8 "é") inside the token',
    build: async (ctx) => {
      const [h, p, s] = segments(await ctx.issuer.mintJwt());
      return { raw: head(`GET /me HTTP/1.1\r\nAuthorization: Bearer ${h}.${p}`, Buffer.from('é', 'utf8'), `.${s}`) };
    },
    expect: invalidRequest(D.malformedBearer),
  },
  {
    id: 'T16',
    name: 'header larger than 16 KiB (a 20,000-character token)',
    build: () => bearer('a'.repeat(20_000)),
    expect: parserRefusal(431),
  },
  {
    id: 'T17',
    name: 'headers larger than 16 KiB in total around a valid token',
    build: async (ctx) => ({
      headers: [
        ['authorization', `Bearer ${await ctx.issuer.mintJwt()}`],
        ...Array.from({ length: 20 }, (_, i): [string, string] => [`x-filler-${i}`, 'x'.repeat(1000)]),
      ],
    }),
    expect: parserRefusal(431),
  },
  {
    id: 'T18',
    name: 'a 15,000-character opaque token (under the header limit; no ZITADEL token is that long)',
    build: () => bearer('o'.repeat(15_000)),
    expect: malformed,
  },
  {
    id: 'T19',
    name: 'valid token in the query string (carrier not enabled)',
    build: async (ctx) => {
      const token = await ctx.issuer.mintJwt();
      return { path: `/me?access_token=${token}`, secrets: [token] };
    },
    expect: invalidRequest(D.query),
  },
  {
    id: 'T20',
    name: 'token in the header and in the query',
    build: async (ctx) => {
      const token = await ctx.issuer.mintJwt();
      return { ...bearer(token, `/me?access_token=${token}`), secrets: [token] };
    },
    expect: invalidRequest(D.query),
  },
  {
    id: 'T21',
    name: 'two access_token query parameters',
    build: async (ctx) => {
      const token = await ctx.issuer.mintJwt();
      return { path: `/me?access_token=${token}&access_token=x`, secrets: [token] };
    },
    expect: invalidRequest(D.onePlace),
  },
  {
    id: 'T22',
    name: 'valid token in a form body (carrier not enabled)',
    build: async (ctx) => {
      const token = await ctx.issuer.mintJwt(ctx.issuer.roleClaims(['orders.write']));
      return {
        path: '/orgs/100000000000000001/orders',
        method: 'POST',
        headers: [['content-type', 'application/x-www-form-urlencoded']],
        body: `access_token=${token}`,
        secrets: [token],
      };
    },
    // The Express test app has no body parser before protect(), and the Fastify plugin
    // authenticates in onRequest, before the body is read: the body is invisible to both.
    expect: (kind) => (authBeforeBody(kind) ? missing : invalidRequest(D.body)),
  },
  {
    id: 'T23',
    name: 'access_token in a JSON body (RFC 6750 §2.2 covers form bodies only)',
    build: async (ctx) => {
      const token = await ctx.issuer.mintJwt(ctx.issuer.roleClaims(['orders.write']));
      return {
        path: '/orgs/100000000000000001/orders',
        method: 'POST',
        headers: [['content-type', 'application/json']],
        body: JSON.stringify({ access_token: token }),
        secrets: [token],
      };
    },
    expect: missing,
  },

  // --- algorithms --------------------------------------------------------------------------
  ...(['none', 'None', 'NONE', 'nOnE', 'NoNe'] as const).map(
    (spelling, i): AttackCase => ({
      id: `A01${'abcde'[i]}`,
      name: `alg "${spelling}", empty signature`,
      build: async (ctx) => bearer(await ctx.issuer.mintJwt({ sub: 'admin' }, { unsigned: spelling })),
      expect: alg,
    }),
  ),
  {
    id: 'A02',
    name: 'alg "none" with the original RS256 signature kept',
    build: async (ctx) => {
      const token = await ctx.issuer.mintJwt();
      return bearer(withHeader(token, { alg: 'none', kid: ctx.issuerJwk.kid, typ: 'JWT' }));
    },
    expect: alg,
  },
  { id: 'A03', name: 'alg "none" without kid or typ', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { unsigned: 'none', header: { kid: undefined, typ: undefined } })), expect: alg },
  { id: 'A04', name: 'alg "" (empty string)', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { alg: '' } })), expect: alg },
  // A header without a string alg is not a JWS: the token is treated as opaque and introspected.
  // A05/A06: not a JWS to the classifier, and not the shape of any ZITADEL token: refused without an upstream call.
  { id: 'A05', name: 'no alg at all (not a JWS, not a ZITADEL token shape)', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { alg: undefined } })), expect: malformed },
  { id: 'A06', name: 'alg as an array ["RS256"]', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { alg: ['RS256'] } })), expect: malformed },
  { id: 'A07', name: 'HS256 signed with the public key PEM', build: (ctx) => hmacConfusion(ctx, 'HS256', 'pem'), expect: alg },
  { id: 'A08', name: 'HS384 signed with the public key PEM', build: (ctx) => hmacConfusion(ctx, 'HS384', 'pem'), expect: alg },
  { id: 'A09', name: 'HS512 signed with the public key PEM', build: (ctx) => hmacConfusion(ctx, 'HS512', 'pem'), expect: alg },
  { id: 'A10', name: 'HS256 signed with the public JWK JSON', build: (ctx) => hmacConfusion(ctx, 'HS256', 'jwk'), expect: alg },
  { id: 'A11', name: 'HS384 signed with the public JWK JSON', build: (ctx) => hmacConfusion(ctx, 'HS384', 'jwk'), expect: alg },
  { id: 'A12', name: 'HS512 signed with the public JWK JSON', build: (ctx) => hmacConfusion(ctx, 'HS512', 'jwk'), expect: alg },
  {
    id: 'A13',
    name: 'header says RS256, signature is HMAC-SHA256 keyed with the PEM',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { alg: 'HS256', key: new TextEncoder().encode(ctx.issuerPem), header: { alg: 'RS256' } })),
    expect: badSignature,
  },
  {
    id: 'A14',
    name: 'PS256 signed by the issuer key whose JWK says RS256 (key bound to its alg)',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { alg: 'PS256' })),
    expect: unknownKey,
  },
  { id: 'A15', name: 'a JWE algorithm (RSA-OAEP) in a three-segment token', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { alg: 'RSA-OAEP', enc: 'A256GCM' } })), expect: alg },
  {
    id: 'A16',
    name: 'ES256 by an attacker key, naming the issuer RSA kid',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { key: ctx.attackerEc.privateKey })),
    expect: unknownKey,
  },
  {
    id: 'A17',
    name: 'psychic signature (CVE-2022-21449): ES256 with r = s = 0',
    build: (ctx) => {
      const input = `${b64(JSON.stringify({ alg: 'ES256', kid: TRUSTED_EC_KID, typ: 'JWT' }))}.${b64(JSON.stringify(ctx.claims({ sub: 'admin' })))}`;
      return bearer(`${input}.${p1363(Buffer.alloc(32), Buffer.alloc(32))}`);
    },
    expect: badSignature,
  },
  {
    id: 'A18',
    name: 'ES256 with r = s = n (the curve order)',
    build: (ctx) => {
      const input = `${b64(JSON.stringify({ alg: 'ES256', kid: TRUSTED_EC_KID, typ: 'JWT' }))}.${b64(JSON.stringify(ctx.claims({ sub: 'admin' })))}`;
      return bearer(`${input}.${p1363(P256_ORDER, P256_ORDER)}`);
    },
    expect: badSignature,
  },
  {
    id: 'A19',
    name: 'ES256 with an empty signature',
    build: (ctx) => bearer(`${b64(JSON.stringify({ alg: 'ES256', kid: TRUSTED_EC_KID }))}.${b64(JSON.stringify(ctx.claims()))}.`),
    expect: badSignature,
  },
  {
    id: 'A20',
    name: 'ES256 with a DER-encoded signature (r = s = 0)',
    build: (ctx) => bearer(`${b64(JSON.stringify({ alg: 'ES256', kid: TRUSTED_EC_KID }))}.${b64(JSON.stringify(ctx.claims()))}.${b64(Buffer.from('3006020100020100', 'hex'))}`),
    expect: badSignature,
  },
  {
    id: 'A21',
    name: 'EdDSA header naming the issuer RSA kid',
    build: async (ctx) => bearer(withHeader(await ctx.issuer.mintJwt(), { alg: 'EdDSA', kid: ctx.issuerJwk.kid, typ: 'JWT' })),
    expect: unknownKey,
  },

  // --- header parameters -------------------------------------------------------------------
  {
    id: 'H01',
    name: 'embedded jwk holding the issuer\'s own public key, signed by an attacker',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({ sub: 'admin' }, { key: ctx.attackerRsa.privateKey, header: { jwk: ctx.issuerJwk } })),
    expect: headerParam('jwk'),
  },
  {
    id: 'H02',
    name: 'jku pointing at a canary, attacker key and kid',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { key: ctx.attackerRsa.privateKey, header: { kid: 'attacker', jku: `${ctx.canary.url}/jwks.json` } })),
    expect: headerParam('jku'),
  },
  {
    id: 'H03',
    name: 'x5u pointing at a canary',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { key: ctx.attackerRsa.privateKey, header: { kid: 'attacker', x5u: `${ctx.canary.url}/cert.pem` } })),
    expect: headerParam('x5u'),
  },
  {
    id: 'H04',
    name: 'x5c with the attacker key',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { key: ctx.attackerRsa.privateKey, header: { x5c: [ctx.attackerRsa.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')] } })),
    expect: headerParam('x5c'),
  },
  { id: 'H05', name: 'jku: null', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { jku: null } })), expect: headerParam('jku') },
  { id: 'H06', name: 'jwk as a string', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { jwk: JSON.stringify(ctx.issuerJwk) } })), expect: headerParam('jwk') },
  { id: 'H07', name: 'crit ["b64"] with b64: false (a name jose knows)', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { crit: ['b64'], b64: false } })), expect: crit },
  { id: 'H08', name: 'crit ["exp"]', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { crit: ['exp'], exp: 1 } })), expect: crit },
  { id: 'H09', name: 'crit ["urn:example:unknown"]', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { crit: ['urn:example:unknown'], 'urn:example:unknown': true } })), expect: crit },
  { id: 'H10', name: 'crit [] (empty)', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { crit: [] } })), expect: crit },
  { id: 'H11', name: 'crit as a string', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { crit: 'b64' } })), expect: crit },
  { id: 'H12', name: 'kid path traversal "../../dev/null"', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { kid: '../../dev/null' } })), expect: unknownKey },
  { id: 'H13', name: 'kid SQL injection', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { kid: "x' UNION SELECT 'secret' --" } })), expect: unknownKey },
  { id: 'H14', name: 'kid of 8 KiB', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { kid: 'k'.repeat(8192) } })), expect: unknownKey },
  { id: 'H15', name: 'kid as a number', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { kid: 12345 } })), expect: badKid },
  { id: 'H16', name: 'kid as an object (NoSQL-style)', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { kid: { $ne: null } } })), expect: badKid },
  { id: 'H17', name: 'kid: null', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { kid: null } })), expect: badKid },
  {
    id: 'H18',
    name: 'kid with CR LF and a header line',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { kid: '1\r\nX-Injected: yes' } })),
    expect: unknownKey,
  },
  { id: 'H19', name: 'typ "JOSE"', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { typ: 'JOSE' } })), expect: badTyp },
  { id: 'H20', name: 'typ 42 (a number)', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { typ: 42 } })), expect: badTyp },
  { id: 'H21', name: 'typ "JWT " (trailing space)', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { typ: 'JWT ' } })), expect: badTyp },
  { id: 'H22', name: 'typ "logout+jwt"', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { header: { typ: 'logout+jwt' } })), expect: badTyp },
  {
    id: 'H23',
    name: 'nested JWT: cty "JWT", payload is a valid token string',
    build: async (ctx) => bearer(ctx.signRaw(JSON.stringify({ alg: 'RS256', kid: TRUSTED_RSA_KID, cty: 'JWT' }), JSON.stringify(await ctx.issuer.mintJwt()))),
    expect: malformed,
  },

  // --- structure and signature ---------------------------------------------------------------
  { id: 'S01', name: 'signature stripped ("h.p.")', build: async (ctx) => bearer(`${segments(await ctx.issuer.mintJwt()).slice(0, 2).join('.')}.`), expect: badSignature },
  { id: 'S02', name: 'signature segment removed ("h.p")', build: async (ctx) => bearer(segments(await ctx.issuer.mintJwt()).slice(0, 2).join('.')), expect: malformed },
  {
    id: 'S03',
    name: 'payload swapped from another valid token (sub admin)',
    build: async (ctx) => {
      const [h, , s] = segments(await ctx.issuer.mintJwt());
      const [, p] = segments(await ctx.issuer.mintJwt({ sub: 'admin', ...ADMIN_ROLES(ctx) }));
      return bearer(`${h}.${p}.${s}`, '/admin');
    },
    expect: badSignature,
  },
  {
    id: 'S04',
    name: 'payload edited to add a role, original signature kept',
    build: async (ctx) => {
      const [h, , s] = segments(await ctx.issuer.mintJwt());
      return bearer(`${h}.${b64(JSON.stringify(ctx.claims(ADMIN_ROLES(ctx))))}.${s}`, '/admin');
    },
    expect: badSignature,
  },
  {
    id: 'S05',
    name: 'header re-encoded without typ, signature kept',
    build: async (ctx) => bearer(withHeader(await ctx.issuer.mintJwt(), { alg: 'RS256', kid: ctx.issuerJwk.kid })),
    expect: badSignature,
  },
  { id: 'S06', name: 'four segments', build: async (ctx) => bearer(`${await ctx.issuer.mintJwt()}.x`), expect: malformed },
  {
    id: 'S07',
    name: 'JWE (dir, A256GCM)',
    build: () => bearer(`${b64(JSON.stringify({ alg: 'dir', enc: 'A256GCM' }))}..${b64('iv-iv-iv-iv')}.${b64('ciphertext')}.${b64('tag-tag-tag-tag')}`),
    expect: invalidToken('ERR_TOKEN_UNSUPPORTED', D.jwe),
  },
  { id: 'S08', name: 'five empty segments ("x....")', build: () => bearer('x....'), expect: invalidToken('ERR_TOKEN_UNSUPPORTED', D.jwe) },
  {
    id: 'S09',
    name: 'revoked token',
    build: async (ctx) => {
      const token = await ctx.issuer.mintJwt();
      await revocation(ctx).revoke({ token });
      return bearer(token);
    },
    expect: invalidToken('ERR_TOKEN_REVOKED', D.revoked),
  },
  {
    id: 'S10',
    name: 'revoked token with "==" appended to its signature (same signature bytes)',
    build: async (ctx) => {
      const token = await ctx.issuer.mintJwt();
      await revocation(ctx).revoke({ token });
      return { ...bearer(paddedSignature(token)), secrets: [token] };
    },
    expect: { status: 401, challengeIncludes: 'error="invalid_token"' },
  },
  {
    id: 'S11',
    name: 'revoked token with the unused low bits of its last signature character flipped',
    build: async (ctx) => {
      const token = await ctx.issuer.mintJwt();
      await revocation(ctx).revoke({ token });
      return { ...bearer(trailingBits(token)), secrets: [token] };
    },
    expect: { status: 401, challengeIncludes: 'error="invalid_token"' },
  },
  {
    id: 'S12',
    name: 'signature in the standard base64 alphabet (+ and / instead of - and _)',
    build: async (ctx) => {
      let token = await ctx.issuer.mintJwt();
      while (!/[-_]/.test(segments(token)[2])) token = await ctx.issuer.mintJwt();
      const [h, p, s] = segments(token);
      return { ...bearer(`${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}`), secrets: [token] };
    },
    expect: invalidToken('ERR_TOKEN_MALFORMED', 'The token is not canonically base64url-encoded'),
  },

  // --- claims --------------------------------------------------------------------------------
  { id: 'C01', name: 'expired', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { expiresIn: -60 })), expect: invalidToken('ERR_TOKEN_EXPIRED', D.expired) },
  { id: 'C02', name: 'no exp', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { omit: ['exp'] })), expect: invalidToken('ERR_CLAIM_INVALID', D.noClaim('exp')) },
  { id: 'C03', name: 'nbf beyond the clock tolerance', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ nbf: Math.floor(Date.now() / 1000) + 30 })), expect: invalidToken('ERR_TOKEN_NOT_YET_VALID', D.notYet) },
  { id: 'C04', name: 'iat beyond the clock tolerance', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ iat: Math.floor(Date.now() / 1000) + 30 })), expect: invalidToken('ERR_TOKEN_NOT_YET_VALID', D.future) },
  { id: 'C05', name: 'wrong iss', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ iss: `${ctx.issuer.issuer}/` })), expect: claimRefused('iss') },
  { id: 'C06', name: 'wrong aud', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ aud: 'test-project-2' })), expect: claimRefused('aud') },
  { id: 'C07', name: 'ID token (nonce: null still counts)', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ nonce: null })), expect: invalidToken('ERR_TOKEN_UNSUPPORTED', D.idToken) },
  { id: 'C08', name: 'no jti (ZITADEL preset)', build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { omit: ['jti'] })), expect: invalidToken('ERR_CLAIM_INVALID', D.noClaim('jti')) },
  { id: 'C09', name: 'aud as an object', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ aud: { 'test-project': true } })), expect: claimRefused('aud') },
  { id: 'C10', name: 'aud as an empty array', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ aud: [] })), expect: claimRefused('aud') },
  { id: 'C11', name: 'aud as [["test-project"]] (nested array)', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ aud: [['test-project']] })), expect: claimRefused('aud') },
  { id: 'C12', name: 'exp as a string', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ exp: String(Math.floor(Date.now() / 1000) + 300) })), expect: claimRefused('exp') },
  { id: 'C13', name: 'exp: null', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ exp: null })), expect: claimRefused('exp') },
  { id: 'C14', name: 'iat as a string', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ iat: 'yesterday' })), expect: claimRefused('iat') },
  {
    id: 'C15',
    name: 'nbf as a string',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({ nbf: 'now' })),
    // Refused; the code (ERR_TOKEN_NOT_YET_VALID today) should be ERR_CLAIM_INVALID: see the report.
    expect: { status: 401, challengeIncludes: 'error="invalid_token"' },
  },
  { id: 'C16', name: 'sub as a number', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ sub: 42 })), expect: invalidToken('ERR_CLAIM_INVALID', D.noSub) },
  { id: 'C17', name: 'sub as an empty string', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ sub: '' })), expect: invalidToken('ERR_CLAIM_INVALID', D.noSub) },
  { id: 'C18', name: 'iss as an array holding the right issuer', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ iss: [ctx.issuer.issuer] })), expect: claimRefused('iss') },
  { id: 'C19', name: 'jti as a number', build: async (ctx) => bearer(await ctx.issuer.mintJwt({ jti: 7 })), expect: invalidToken('ERR_CLAIM_INVALID', D.noJti) },
  {
    id: 'C20',
    name: 'scope as an array on a route that needs orders:read (ZITADEL preset reads strings)',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({ scope: ['orders:read'] }), '/orders'),
    expect: insufficient('ERR_SCOPE_INSUFFICIENT', 'Missing scope: orders:read', 'orders:read'),
  },
  {
    id: 'C21',
    name: 'scope as an object',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({ scope: { 'orders:read': true } }), '/orders'),
    expect: insufficient('ERR_SCOPE_INSUFFICIENT', 'Missing scope: orders:read', 'orders:read'),
  },
  {
    id: 'C22',
    name: 'scope differing in case ("Orders:Read")',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({ scope: 'openid Orders:Read' }), '/orders'),
    expect: insufficient('ERR_SCOPE_INSUFFICIENT', 'Missing scope: orders:read', 'orders:read'),
  },
  {
    id: 'C23',
    name: 'scopes joined by a tab',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({ scope: 'openid\torders:read' }), '/orders'),
    expect: insufficient('ERR_SCOPE_INSUFFICIENT', 'Missing scope: orders:read', 'orders:read'),
  },
  {
    id: 'C24',
    name: 'roles claim as a string',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({ [ROLES_CLAIM]: 'orders.admin' }), '/admin'),
    expect: insufficient('ERR_ROLE_INSUFFICIENT', 'Missing role: one of orders.admin'),
  },
  {
    id: 'C25',
    name: 'roles claim as an array',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({ [ROLES_CLAIM]: ['orders.admin'] }), '/admin'),
    expect: insufficient('ERR_ROLE_INSUFFICIENT', 'Missing role: one of orders.admin'),
  },
  {
    id: 'C26',
    name: 'roles claim with an organization string instead of a map (org-bound route)',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({ [ROLES_CLAIM]: { 'orders.read': '100000000000000001' } }), '/mine'),
    expect: insufficient('ERR_ROLE_INSUFFICIENT', 'Missing role: one of orders.read in organization 100000000000000001'),
  },
  {
    id: 'C27',
    name: 'role smuggled under "__proto__" in the roles claim',
    build: (ctx) =>
      bearer(
        ctx.signRaw(
          JSON.stringify({ alg: 'RS256', kid: TRUSTED_RSA_KID, typ: 'JWT' }),
          JSON.stringify(ctx.claims()).replace(/}$/, `,"${ROLES_CLAIM}":{"__proto__":{"orders.admin":{"100000000000000001":"acme"}}}}`),
        ),
        '/admin',
      ),
    expect: insufficient('ERR_ROLE_INSUFFICIENT', 'Missing role: one of orders.admin'),
  },
  {
    id: 'C28',
    name: 'sub smuggled under "__proto__" (no own sub)',
    build: (ctx) => {
      const claims = ctx.claims();
      delete claims.sub;
      return bearer(ctx.signRaw(JSON.stringify({ alg: 'RS256', kid: TRUSTED_RSA_KID }), JSON.stringify(claims).replace(/^{/, '{"__proto__":{"sub":"admin"},')));
    },
    expect: invalidToken('ERR_CLAIM_INVALID', D.noSub),
  },
  {
    id: 'C29',
    name: 'duplicate "sub" keys: the caller is the value that was verified (the last, per JSON.parse)',
    build: (ctx) =>
      bearer(ctx.signRaw(JSON.stringify({ alg: 'RS256', kid: TRUSTED_RSA_KID }), JSON.stringify(ctx.claims({ sub: 'alice' })).replace('"sub":"alice"', '"sub":"alice","sub":"bob"'))),
    expect: ok('bob'),
  },
  {
    id: 'C30',
    name: 'duplicate "alg" keys, RS256 then none',
    build: (ctx) => bearer(ctx.signRaw(`{"alg":"RS256","alg":"none","kid":"${TRUSTED_RSA_KID}"}`, JSON.stringify(ctx.claims()))),
    expect: alg,
  },
  {
    id: 'C31',
    name: 'duplicate "alg" keys, HS256 then RS256, HMAC-signed with the PEM',
    build: (ctx) => {
      const input = `${b64(`{"alg":"HS256","alg":"RS256","kid":"${ctx.issuerJwk.kid}"}`)}.${b64(JSON.stringify(ctx.claims({ sub: 'admin' })))}`;
      return bearer(`${input}.${createHmac('sha256', ctx.issuerPem).update(input).digest('base64url')}`);
    },
    expect: badSignature,
  },
  {
    id: 'C32',
    name: 'duplicate "iss" keys, right then wrong',
    build: (ctx) => {
      const { iss, ...rest } = ctx.claims();
      const payload = `{"iss":${JSON.stringify(iss)},"iss":"https://evil.example",${JSON.stringify(rest).slice(1)}`;
      return bearer(ctx.signRaw(JSON.stringify({ alg: 'RS256', kid: TRUSTED_RSA_KID }), payload));
    },
    expect: claimRefused('iss'),
  },
  {
    id: 'C33',
    name: 'duplicate "exp" keys, future then past',
    build: (ctx) => bearer(ctx.signRaw(JSON.stringify({ alg: 'RS256', kid: TRUSTED_RSA_KID }), JSON.stringify(ctx.claims()).replace(/}$/, `,"exp":${Math.floor(Date.now() / 1000) - 60}}`))),
    expect: invalidToken('ERR_TOKEN_EXPIRED', D.expired),
  },
  {
    id: 'C34',
    name: 'duplicate roles claims, with the role then without',
    build: (ctx) =>
      bearer(ctx.signRaw(JSON.stringify({ alg: 'RS256', kid: TRUSTED_RSA_KID }), JSON.stringify(ctx.claims(ADMIN_ROLES(ctx))).replace(/}$/, `,"${ROLES_CLAIM}":{}}`)), '/admin'),
    expect: insufficient('ERR_ROLE_INSUFFICIENT', 'Missing role: one of orders.admin'),
  },
  { id: 'C35', name: 'payload is a JSON array', build: (ctx) => bearer(ctx.signRaw(JSON.stringify({ alg: 'RS256', kid: TRUSTED_RSA_KID }), '[{"sub":"admin"}]')), expect: malformed },
  { id: 'C36', name: 'payload is not JSON', build: (ctx) => bearer(ctx.signRaw(JSON.stringify({ alg: 'RS256', kid: TRUSTED_RSA_KID }), 'sub=admin')), expect: malformed },
  {
    id: 'C37',
    name: 'payload with invalid UTF-8',
    build: (ctx) => bearer(ctx.signRaw(JSON.stringify({ alg: 'RS256', kid: TRUSTED_RSA_KID }), Buffer.concat([Buffer.from(JSON.stringify(ctx.claims()).slice(0, -1) + ',"x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]))),
    expect: malformed,
  },
  {
    id: 'C38',
    name: 'payload nested 4,000 levels deep (signed): no crash',
    build: (ctx) => bearer(ctx.signRaw(JSON.stringify({ alg: 'RS256', kid: TRUSTED_RSA_KID }), JSON.stringify(ctx.claims()).replace(/}$/, `,"deep":${'['.repeat(4000)}${']'.repeat(4000)}}`))),
    expect: ok(),
  },
  {
    id: 'C39',
    name: 'a 10 KiB valid token (large but legal)',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({ padding: 'p'.repeat(7000) })),
    expect: ok(),
  },
  {
    id: 'C40',
    name: 'exp = 1e308 (signed by the issuer): refused, a Date cannot hold it (not "valid forever")',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({ exp: 1e308 })),
    expect: invalidToken('ERR_CLAIM_INVALID', "The token's exp claim is not a usable date"),
  },

  // --- opaque tokens and introspection ------------------------------------------------------------
  { id: 'O01', name: 'unknown opaque token of ZITADEL\'s shape', build: () => bearer(randomBytes(53).toString('base64url')), expect: inactive },
  { id: 'O01b', name: 'unknown opaque token of no ZITADEL shape (refused without introspection)', build: () => bearer('unknown-opaque-token-0123456789'), expect: malformed },
  { id: 'O02', name: 'opaque token with + / and = padding (not base64url: no ZITADEL shape)', build: () => bearer('abc+def/ghi+jkl/mno=='), expect: malformed },
  { id: 'O03', name: 'inactive opaque token', build: (ctx) => bearer(ctx.issuer.mintOpaque({}, { active: false })), expect: inactive },
  { id: 'O04', name: 'active opaque token (control)', build: (ctx) => bearer(ctx.issuer.mintOpaque()), expect: ok() },
  {
    id: 'O05',
    name: 'opaque token revoked at the issuer, on an active-token route',
    build: (ctx) => {
      const token = ctx.issuer.mintOpaque(ctx.issuer.roleClaims(['orders.read']));
      ctx.issuer.revoke(token);
      return bearer(token, '/active');
    },
    expect: inactive,
  },
  { id: 'O06', name: 'opaque token of the introspection client secret', build: (ctx) => bearer(ctx.issuer.introspectionClient.clientSecret), expect: malformed },

  // --- DPoP (RFC 9449), not enabled in the apps under test ------------------------------------
  {
    id: 'D01',
    name: 'DPoP-bound JWT (cnf.jkt) sent as a plain Bearer token',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({ cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } })),
    expect: invalidToken('ERR_DPOP_BINDING_INVALID', 'A DPoP-bound token must be sent with the DPoP scheme and a proof'),
  },
  {
    id: 'D02',
    name: '"Authorization: DPoP <valid token>" while DPoP is not enabled',
    build: async (ctx) => ({ headers: [['authorization', `DPoP ${await ctx.issuer.mintJwt()}`], ['dpop', 'eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.']] }),
    expect: missing,
  },

  // --- authorization and routes ----------------------------------------------------------------------
  {
    id: 'P01',
    name: 'valid token, missing scope',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({ scope: 'openid' }), '/orders'),
    expect: insufficient('ERR_SCOPE_INSUFFICIENT', 'Missing scope: orders:read', 'orders:read'),
  },
  {
    id: 'P02',
    name: 'valid token, role granted in another organization',
    build: async (ctx) => ({
      path: '/orgs/org-b/orders',
      method: 'POST',
      headers: [['authorization', `Bearer ${await ctx.issuer.mintJwt(ctx.issuer.roleClaims({ 'orders.write': ['org-a'] }))}`], ['content-type', 'application/json']],
      body: '{}',
    }),
    expect: insufficient('ERR_ROLE_INSUFFICIENT', 'Missing role: one of orders.write in organization org-b'),
  },
  {
    id: 'P08',
    name: 'CR LF and a header line in the organization id of the URL (reflected in the description)',
    build: async (ctx) => ({
      path: '/orgs/%0D%0AX-Injected:%20yes/orders',
      method: 'POST',
      headers: [['authorization', `Bearer ${await ctx.issuer.mintJwt(ctx.issuer.roleClaims(['orders.write']))}`], ['content-type', 'application/json']],
      body: '{}',
    }),
    // The challenge keeps only the characters RFC 6750 allows; the JSON body may say it all.
    expect: {
      status: 403,
      code: 'ERR_ROLE_INSUFFICIENT',
      challenge: `${REALM}, error="insufficient_scope", error_description="Missing role: one of orders.write in organization X-Injected: yes"`,
      description: 'Missing role: one of orders.write in organization \r\nX-Injected: yes',
    },
  },
  {
    id: 'P03',
    name: 'public route with alg none: no caller',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt({}, { unsigned: 'none' }), '/public'),
    expect: { ...ok(null), audited: undefined },
  },
  {
    id: 'P04',
    name: 'public route with two Authorization headers: no caller',
    build: async (ctx) => ({
      path: '/public',
      headers: [['authorization', `Bearer ${await ctx.issuer.mintJwt()}`], ['authorization', `Bearer ${await ctx.issuer.mintJwt()}`]],
    }),
    expect: { ...ok(null), audited: undefined },
  },
  {
    id: 'P05',
    name: 'role-protected route in upper case (/ADMIN) without the role',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt(), '/ADMIN'),
    // Express routing is case-insensitive (the route and its policy match); Fastify's is not (404;
    // the plugin protects Fastify's not-found handler too, so the valid token is let through, audited).
    expect: (kind) =>
      isFastifyRouter(kind) ? { status: 404, audited: kind === 'fastify' } : insufficient('ERR_ROLE_INSUFFICIENT', 'Missing role: one of orders.admin'),
  },
  {
    id: 'P06',
    name: 'role-protected route with a trailing slash (/admin/) without the role',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt(), '/admin/'),
    expect: (kind) =>
      isFastifyRouter(kind) ? { status: 404, audited: kind === 'fastify' } : insufficient('ERR_ROLE_INSUFFICIENT', 'Missing role: one of orders.admin'),
  },
  {
    id: 'P07',
    name: 'role-protected route percent-encoded (/%61dmin) without the role',
    build: async (ctx) => bearer(await ctx.issuer.mintJwt(), '/%61dmin'),
    // Express matches routes on the raw path: no route, 404 (its global protect() let the valid
    // token through, then nothing answered). Fastify decodes the path first: /admin, 403.
    expect: (kind) =>
      isFastifyRouter(kind)
        ? insufficient('ERR_ROLE_INSUFFICIENT', 'Missing role: one of orders.admin')
        : { status: 404, audited: isExpress(kind) },
  },
];

/** The revocation list shared by the corpus and the app under test. */
const revocations = new WeakMap<AttackContext, MemoryRevocationList>();
export function revocation(ctx: AttackContext): MemoryRevocationList {
  let list = revocations.get(ctx);
  if (!list) {
    list = new MemoryRevocationList();
    revocations.set(ctx, list);
  }
  return list;
}

// ---------------------------------------------------------------------------------------
// Where each case runs

/**
 * Transport and route cases (T*, P*) are about what reaches the core: how Node and each
 * framework parse the request line, headers, body and path. They run over real HTTP on every
 * app kind. Those among them that are plain header/query/body requests on a known route run
 * at core level too.
 */
const TRANSPORT_AT_CORE = new Set(['T01', 'T02', 'T06', 'T08', 'T09', 'T10', 'T11', 'T12', 'T18', 'T19', 'T20', 'T21', 'T23', 'P01', 'P02', 'P03', 'P04', 'P08']);

/**
 * Token-content cases (algorithms, header parameters, structure, claims, opaque tokens,
 * DPoP) are decided by the core alone: all of them run once at core level (support/core-app.ts),
 * and this representative of each kind of refusal also runs over HTTP on every app kind
 * (status, challenge, body shape, audit emission, no leaks through the framework).
 */
const TOKEN_SLICE = new Set(['A01a', 'A07', 'A14', 'H01', 'H02', 'H18', 'S01', 'S09', 'C01', 'C05', 'C20', 'C24', 'C29', 'O01', 'O04', 'O05', 'D01', 'D02']);

const isTransportCase = (attack: AttackCase): boolean => /^[TP]/.test(attack.id);

/** The cases decided at core level by `rs.decide()`. */
export const CORE_CASES: readonly AttackCase[] = CORPUS.filter((attack) => !isTransportCase(attack) || TRANSPORT_AT_CORE.has(attack.id));

/** The cases sent over real HTTP to every app kind. */
export const TRANSPORT_CASES: readonly AttackCase[] = CORPUS.filter((attack) => isTransportCase(attack) || TOKEN_SLICE.has(attack.id));
