/**
 * An issuer reached through an injected `fetch` (no sockets): discovery, JWKS and
 * introspection, each answer replaceable per test, every call counted. Keys are generated
 * per run. The shapes follow ZITADEL: discovery from `internal/api/oidc/op.go` endpoints,
 * JWKS with `Cache-Control: max-age=300, must-revalidate` (`internal/api/oidc/key.go`), JWT
 * access tokens with `typ: JWT`, a `jti`, `client_id` and an `aud` list
 * (`internal/api/oidc/token.go` `createJWT`).
 */
import { createPublicKey } from 'node:crypto';
import { exportJWK, generateKeyPair, importPKCS8, importSPKI, SignJWT } from 'jose';
import type { JWK } from 'jose';
import type { FetchLike } from '../../../lib/core/http.js';

export const ISSUER = 'https://acme.zitadel.cloud';
export const PROJECT = '294800000000000001';
export const API_CLIENT_ID = '294800000000000077@orders';
export const ORG = '294700000000000001';
export const silent = { warn: () => undefined, error: () => undefined };

export interface Answer {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface FakeIssuer {
  readonly fetch: FetchLike;
  readonly calls: { discovery: number; jwks: number; introspection: number };
  /** URLs requested, in order. */
  readonly requested: string[];
  /** Tokens sent to introspection, in order. */
  readonly introspected: string[];
  discovery: () => Answer;
  jwks: () => Answer;
  introspection: (token: string) => Answer | Promise<Answer>;
  /** Signs an access token with the issuer's key (ZITADEL's claim layout, overridable). */
  mintJwt(claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  readonly publicJwk: JWK;
}

/**
 * One key pair, shared by the fake issuers: the run's key (generated at run time by
 * support/global-setup.js, ZRS_TEST_ISSUER_KEY), else one generated for this test file.
 */
let keys: ReturnType<typeof generateKeyPair> | undefined;

async function runKeys(): ReturnType<typeof generateKeyPair> {
  const pem = process.env.ZRS_TEST_ISSUER_KEY;
  if (pem === undefined) return generateKeyPair('RS256');
  const spki = createPublicKey(pem).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey: await importPKCS8(pem, 'RS256'), publicKey: await importSPKI(spki, 'RS256', { extractable: true }) };
}

export async function createFakeIssuer(options: { issuer?: string; now?: () => number } = {}): Promise<FakeIssuer> {
  const issuer = options.issuer ?? ISSUER;
  const now = options.now ?? Date.now;
  keys ??= runKeys();
  const { privateKey, publicKey } = await keys;
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
  let jti = 0;
  const fake: FakeIssuer = {
    calls: { discovery: 0, jwks: 0, introspection: 0 },
    requested: [],
    introspected: [],
    publicJwk,
    discovery: () => ({
      body: {
        issuer,
        jwks_uri: `${issuer}/oauth/v2/keys`,
        introspection_endpoint: `${issuer}/oauth/v2/introspect`,
        token_endpoint: `${issuer}/oauth/v2/token`,
      },
    }),
    jwks: () => ({ body: { keys: [publicJwk] }, headers: { 'cache-control': 'max-age=300, must-revalidate' } }),
    introspection: () => ({ body: { active: false } }),
    async mintJwt(claims = {}, header = {}) {
      const iat = Math.floor(now() / 1000);
      jti += 1;
      return new SignJWT({
        iss: issuer,
        sub: '294900000000000001',
        aud: [PROJECT, '294800000000000002'],
        client_id: 'orders-worker',
        jti: `V2_29490000000000${jti}-at_29490000000001${jti}`,
        iat,
        nbf: iat,
        exp: iat + 3600,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'key-1', typ: 'JWT', ...header })
        .sign(privateKey);
    },
    fetch: async (url, init) => {
      fake.requested.push(url);
      let answer: Answer;
      if (url.endsWith('/.well-known/openid-configuration')) {
        fake.calls.discovery += 1;
        answer = fake.discovery();
      } else if (init.method === 'POST') {
        fake.calls.introspection += 1;
        const token = new URLSearchParams(init.body as string).get('token') ?? '';
        fake.introspected.push(token);
        answer = await fake.introspection(token);
      } else {
        fake.calls.jwks += 1;
        answer = fake.jwks();
      }
      return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
        status: answer.status ?? 200,
        headers: { 'content-type': 'application/json', ...answer.headers },
      });
    },
  };
  return fake;
}

/** An active ZITADEL introspection answer for a service user's token (overridable). */
export function activeAnswer(now: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const seconds = Math.floor(now / 1000);
  return {
    active: true,
    scope: 'openid urn:zitadel:iam:org:project:id:zitadel:aud',
    client_id: 'orders-worker',
    token_type: 'Bearer',
    exp: seconds + 3600,
    iat: seconds,
    nbf: seconds,
    sub: '294900000000000001',
    aud: [PROJECT, API_CLIENT_ID],
    iss: ISSUER,
    jti: 'V2_294900000000000009-at_294900000000000010',
    [`urn:zitadel:iam:org:project:${PROJECT}:roles`]: { 'orders.read': { [ORG]: 'acme.zitadel.cloud' } },
    ...overrides,
  };
}

/**
 * What ZITADEL answers for a PAT introspected by the API application: no `client_id`, and
 * `aud` = just the introspecting client id (`internal/api/oidc/access_token.go`
 * `assertClientScopesForPAT` in the releases that append only the client id).
 */
export function patAnswer(now: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const { client_id: _clientId, ...answer } = activeAnswer(now, {
    aud: [API_CLIENT_ID],
    jti: '294900000000000055',
    scope: `urn:zitadel:iam:org:project:role:orders.read urn:zitadel:iam:org:project:role:orders.admin`,
    ...overrides,
  });
  return answer;
}

/** A mutable clock for `now`. */
export function clock(start = Date.UTC(2026, 11, 1, 12)): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let time = start;
  return {
    now: () => time,
    advance: (ms) => {
      time += ms;
    },
    set: (ms) => {
      time = ms;
    },
  };
}
