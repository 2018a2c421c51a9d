import { jwtVerify } from 'jose';
import { errors } from 'oidc-provider';
import type { GrantHandler, OIDCProviderError, Provider, ResourceServerInfo } from 'oidc-provider';

import type { Directory } from './directory.js';
import { scopeSet } from './directory.js';

/** RFC 7523 §2.1 grant type, ZITADEL's "JWT profile" for service users. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

export interface JwtProfileGrantSetup {
  readonly provider: Provider;
  readonly directory: Directory;
  /** The resource indicator all tokens of the project are issued for. */
  readonly resource: string;
  /** Resource-server settings (audience, format, TTL) for a user and the granted scopes. */
  readonly resourceServerInfo: (userId: string, scopes: ReadonlySet<string>) => ResourceServerInfo;
  readonly clockToleranceSeconds: number;
}

function invalidGrant(description: string, detail?: string): OIDCProviderError {
  const error = new errors.InvalidGrant(detail ?? description);
  error.error_description = description;
  return error;
}

/**
 * The token-endpoint handler for the JWT profile grant. `oidc-provider` does not ship this grant;
 * it is registered with `provider.registerGrantType(JWT_BEARER_GRANT, handler, ['assertion', 'scope'])`.
 *
 * ZITADEL sends no client authentication with this grant: the request front door adds
 * `client_id=<iss of the assertion>` so that `oidc-provider` resolves the service user's own
 * internal client (auth method `none`); the assertion itself is the credential and is verified
 * here against that user's public key (`kid` = key id, `iss` = `sub` = user id, `aud` = issuer).
 */
export function jwtProfileGrant(setup: JwtProfileGrantSetup): GrantHandler {
  const { provider, directory } = setup;
  return async function jwtProfileGrantHandler(ctx) {
    const oidc = ctx.oidc;
    if (!oidc?.client) {
      throw new errors.InvalidRequest('no client authentication mechanism provided');
    }
    const { client, params } = oidc;
    const assertion = params['assertion'];
    if (typeof assertion !== 'string' || assertion === '') {
      throw new errors.InvalidRequest("missing required parameter 'assertion'");
    }

    const user = directory.userByClientId(client.clientId);
    if (!user || user.grant !== 'jwtProfile' || !user.key) {
      throw invalidGrant('the client is not a service user with a key');
    }

    try {
      const { protectedHeader } = await jwtVerify(assertion, user.key.publicKey, {
        algorithms: ASSERTION_ALGORITHMS,
        issuer: user.userId,
        subject: user.userId,
        audience: [provider.issuer, `${provider.issuer}/`, oidc.urlFor('token')],
        requiredClaims: ['iat', 'exp'],
        maxTokenAge: '1h',
        clockTolerance: setup.clockToleranceSeconds,
      });
      if (protectedHeader.kid !== user.key.keyId) {
        throw new Error(`unknown key id ${String(protectedHeader.kid)}`);
      }
    } catch (cause) {
      throw invalidGrant('assertion is invalid', cause instanceof Error ? cause.message : String(cause));
    }

    const supported = new Set(directory.supportedScopes());
    const requested = typeof params['scope'] === 'string' ? params['scope'] : '';
    const granted = [...scopeSet(requested)].filter((scope) => supported.has(scope));
    const scopes = new Set(granted);

    const token = new provider.AccessToken({
      accountId: user.userId,
      client,
      ...(granted.length > 0 ? { scope: granted.join(' ') } : {}),
      gty: JWT_BEARER_GRANT,
    });
    token.resourceServer = new provider.ResourceServer(setup.resource, setup.resourceServerInfo(user.userId, scopes));

    oidc.entity('AccessToken', token);
    const accessToken = await token.save();

    ctx.body = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: token.expiration,
      scope: token.scope,
    };
  };
}
