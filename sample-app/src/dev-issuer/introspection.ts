import type { KeyObject } from 'node:crypto';

import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { KoaContextWithOIDC, Middleware, OIDCContext } from 'oidc-provider';

import type { Directory } from './directory.js';
import { describeToken, mayIntrospect, recordFromModel } from './token-records.js';
import type { JwtRegistry, TokenRecord } from './token-records.js';

export interface IntrospectionSetup {
  readonly issuer: string;
  readonly directory: Directory;
  readonly jwts: JwtRegistry;
  readonly signingKey: KeyObject;
  readonly paths: { readonly introspection: string; readonly revocation: string; readonly jwks: string };
}

/** ZITADEL's default JWKS `Cache-Control` (`internal/api/oidc/key.go` `Keys`, `OIDC.JWKSCacheControlMaxAge` 5 min). */
export const JWKS_CACHE_CONTROL = 'max-age=300, must-revalidate';

/**
 * A Koa middleware (installed with `provider.use`) that finishes introspection and revocation the
 * ZITADEL way after `oidc-provider` has authenticated the client:
 *
 * - an active answer is rebuilt from the token and the directory *now*: ZITADEL's claim set
 *   (`sub` = user id, `aud` list, numeric `jti`, `nbf`, role claims under both names,
 *   resource-owner claims, `username` with `profile`), and a PAT's `scope` gains every project
 *   role scope. Roles are read at this moment, so `setRoles` shows in the next introspection;
 * - a JWT access token (which `oidc-provider` refuses with `unsupported_token_type`) is verified
 *   against the issuer's key and looked up in the registry of signed JWTs: introspection answers
 *   for it, revocation revokes it;
 * - refused client credentials at introspection are 400 `unauthorized_client` without a
 *   description or challenge, as ZITADEL answers them (`internal/api/oidc/introspect.go`
 *   `introspectionClientAuth` → `oidc.ErrUnauthorizedClient()`; zitadel/oidc `pkg/op/error.go`
 *   `WriteError` → 400), not `oidc-provider`'s 401 `invalid_client`;
 * - the JWKS carries ZITADEL's `Cache-Control: max-age=300, must-revalidate`.
 */
export function zitadelIntrospection(setup: IntrospectionSetup): Middleware {
  return async function zitadelIntrospectionMiddleware(ctx, next) {
    await next();
    if (ctx.method === 'GET' && ctx.path === setup.paths.jwks && ctx.status === 200) {
      ctx.set('Cache-Control', JWKS_CACHE_CONTROL);
      return;
    }
    if (ctx.method !== 'POST') {
      return;
    }
    if (ctx.path === setup.paths.introspection) {
      await finishIntrospection(setup, ctx);
    } else if (ctx.path === setup.paths.revocation) {
      await finishRevocation(setup, ctx);
    }
  };
}

/** The authenticated client of a finished request, if client authentication succeeded. */
function authenticated(ctx: KoaContextWithOIDC): { oidc: OIDCContext; clientId: string } | undefined {
  const oidc = ctx.oidc;
  const client = oidc?.entities.Client;
  if (!oidc || !client) {
    return undefined;
  }
  return { oidc, clientId: client.clientId };
}

async function finishIntrospection(setup: IntrospectionSetup, ctx: KoaContextWithOIDC): Promise<void> {
  if (ctx.status === 401 && isError(ctx.body, 'invalid_client')) {
    ctx.status = 400;
    ctx.type = 'json';
    ctx.body = { error: 'unauthorized_client' };
    ctx.remove('WWW-Authenticate');
    return;
  }
  const auth = authenticated(ctx);
  if (!auth || (ctx.status !== 200 && ctx.status !== 400)) {
    return;
  }
  const { oidc, clientId } = auth;
  const { directory, issuer } = setup;

  if (ctx.status === 200 && isActive(ctx.body)) {
    const token = oidc.entities.AccessToken ?? oidc.entities.ClientCredentials;
    const record = token ? recordFromModel(directory, token) : undefined;
    ctx.body = record ? describeToken(directory, issuer, record, clientId) : { active: false };
    return;
  }

  const value = oidc.params['token'];
  if (ctx.status === 400 && typeof value === 'string' && looksLikeJwt(value)) {
    const record = await verifiedJwtRecord(setup, value);
    ctx.status = 200;
    ctx.type = 'json';
    ctx.body =
      record && mayIntrospect(directory, record, clientId) ? describeToken(directory, issuer, record, clientId) : { active: false };
  }
}

async function finishRevocation(setup: IntrospectionSetup, ctx: KoaContextWithOIDC): Promise<void> {
  const auth = authenticated(ctx);
  const value = auth?.oidc.params['token'];
  if (!auth || ctx.status !== 400 || typeof value !== 'string' || !looksLikeJwt(value)) {
    return;
  }
  const record = await verifiedJwtRecord(setup, value);
  if (record && (auth.clientId === setup.directory.apiClientId || auth.clientId === record.clientId)) {
    setup.jwts.revoke(record.tokenId);
  }
  ctx.status = 200;
  ctx.body = '';
}

function isError(body: unknown, error: string): boolean {
  return typeof body === 'object' && body !== null && (body as { error?: unknown }).error === error;
}

function isActive(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { active?: unknown }).active === true;
}

function looksLikeJwt(value: string): boolean {
  try {
    decodeProtectedHeader(value);
    return value.split('.').length === 3;
  } catch {
    return false;
  }
}

async function verifiedJwtRecord(setup: IntrospectionSetup, value: string): Promise<TokenRecord | undefined> {
  try {
    const { payload } = await jwtVerify(value, setup.signingKey, { issuer: setup.issuer, algorithms: ['RS256'] });
    return typeof payload.jti === 'string' ? setup.jwts.active(payload.jti) : undefined;
  } catch {
    return undefined;
  }
}
