// How a ZITADEL service user gets an access token, the three ways of ZITADEL's
// service-user guide. The JWT profile grant and client credentials go through this
// package's token source (`zitadel-resource-server/client`), as an API that calls other
// APIs would; revocation is plain fetch and jose.
import { createPrivateKey, randomUUID } from 'node:crypto';

import { SignJWT } from 'jose';
import type { ApplicationKeyFile } from 'zitadel-resource-server';
import { createTokenSource, zitadelScopes } from 'zitadel-resource-server/client';
import type { ServiceAccountKeyFile } from 'zitadel-resource-server/client';

/** A service user's key file (Keys tab) and an API application's key file ("Private Key JWT"), as the package types them. */
export type { ApplicationKeyFile, ServiceAccountKeyFile };

/** How a confidential client authenticates at the token and revocation endpoints. */
export type ClientAuth =
  | { readonly type: 'client_secret_basic'; readonly clientId: string; readonly clientSecret: string }
  | { readonly type: 'private_key_jwt'; readonly keyFile: ApplicationKeyFile };

interface Endpoints {
  readonly token: string;
  readonly revocation: string;
}

const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TIMEOUT_MS = 5000;

/**
 * The scope the demo's service users ask for, ZITADEL's reserved scopes built with
 * `zitadelScopes.apiAccess(projectId)` from `zitadel-resource-server/client`:
 *
 * - `urn:zitadel:iam:org:project:id:{projectId}:aud` puts the project id into `aud`, so the
 *   token is meant for this API (and the API application may introspect it);
 * - `urn:zitadel:iam:org:projects:roles` (with the audience scope) puts the project's role
 *   claim `urn:zitadel:iam:org:project:{projectId}:roles` into a JWT access token
 *   (introspection returns the roles to the API application anyway);
 * - `urn:zitadel:iam:user:resourceowner` adds the user's organization, which
 *   `GET /api/me` and the org-scoped routes need.
 */
export function demoScope(projectId: string): string {
  return zitadelScopes.apiAccess(projectId).join(' ');
}

/** Token client for one ZITADEL instance (endpoints from its discovery document). */
export class ZitadelTokenClient {
  #endpoints: Promise<Endpoints> | undefined;

  constructor(readonly issuer: string) {}

  /**
   * Private key JWT: the JWT profile grant (RFC 7523). The service user signs a short
   * assertion with its key (RS256, `kid` = key id, `iss` = `sub` = user id,
   * `aud` = the instance) and trades it for an access token. No client secret involved.
   * A new token source per call, so every call gets a fresh token (a long-lived source
   * would cache and refresh it).
   */
  async jwtProfile(keyFile: ServiceAccountKeyFile, scope: string): Promise<string> {
    return createTokenSource({ issuer: this.issuer, scope, credentials: { type: 'jwt_profile', keyFile } }).getToken();
  }

  /** Client credentials: the service user's client id and secret, HTTP Basic. */
  async clientCredentials(clientId: string, clientSecret: string, scope: string): Promise<string> {
    return createTokenSource({ issuer: this.issuer, scope, credentials: { type: 'client_credentials', clientId, clientSecret } }).getToken();
  }

  /** RFC 7009 revocation, authenticated as `auth` (the token's own client, or the API application). */
  async revoke(token: string, auth: ClientAuth): Promise<void> {
    const { revocation } = await this.#discover();
    const form = new URLSearchParams({ token });
    const headers: Record<string, string> = {};
    if (auth.type === 'client_secret_basic') {
      headers.authorization = basic(auth.clientId, auth.clientSecret);
    } else {
      form.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
      form.set('client_assertion', await clientAssertion(auth.keyFile, this.issuer));
    }
    const response = await post(revocation, form, headers);
    if (!response.ok) throw new Error(`revocation refused: HTTP ${response.status} ${await errorOf(response)}`);
  }

  #discover(): Promise<Endpoints> {
    this.#endpoints ??= (async () => {
      const response = await fetch(`${this.issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (!response.ok) throw new Error(`discovery failed: HTTP ${response.status}`);
      const doc = (await response.json()) as { token_endpoint?: unknown; revocation_endpoint?: unknown };
      if (typeof doc.token_endpoint !== 'string' || typeof doc.revocation_endpoint !== 'string') {
        throw new Error('discovery document lacks token_endpoint or revocation_endpoint');
      }
      return { token: doc.token_endpoint, revocation: doc.revocation_endpoint };
    })();
    this.#endpoints.catch(() => (this.#endpoints = undefined));
    return this.#endpoints;
  }
}

/** `private_key_jwt` client assertion of an API application (what the resource server also sends at introspection). */
async function clientAssertion(keyFile: ApplicationKeyFile, issuer: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: keyFile.keyId })
    .setIssuer(keyFile.clientId)
    .setSubject(keyFile.clientId)
    .setAudience(issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .setJti(randomUUID())
    .sign(createPrivateKey(keyFile.key));
}

/** RFC 6749 §2.3.1: both parts form-urlencoded before base64 (ZITADEL client ids contain `@`). */
function basic(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
}

function post(url: string, form: URLSearchParams, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: form,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
}

async function errorOf(response: Response): Promise<string> {
  const body = (await response.json().catch(() => ({}))) as { error?: unknown; error_description?: unknown };
  return [body.error, body.error_description].filter((part) => typeof part === 'string').join(': ');
}
