/**
 * The OpenID Connect discovery document of the test issuer, shaped like ZITADEL's.
 */

/** Paths of the issuer's endpoints, relative to the issuer URL (ZITADEL's layout). */
export const ENDPOINT_PATHS = Object.freeze({
  discovery: '/.well-known/openid-configuration',
  jwks: '/oauth/v2/keys',
  introspection: '/oauth/v2/introspect',
  token: '/oauth/v2/token',
  revocation: '/oauth/v2/revoke',
  authorization: '/oauth/v2/authorize',
  userinfo: '/oidc/v1/userinfo',
  endSession: '/oidc/v1/end_session',
} as const);

/**
 * Builds the discovery document for `issuer` whose keys use `algorithms`.
 *
 * @example
 * ```ts
 * discoveryDocument('http://127.0.0.1:4000', ['RS256']).jwks_uri;
 * // 'http://127.0.0.1:4000/oauth/v2/keys'
 * ```
 */
export function discoveryDocument(issuer: string, algorithms: readonly string[]): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}${ENDPOINT_PATHS.authorization}`,
    token_endpoint: `${issuer}${ENDPOINT_PATHS.token}`,
    introspection_endpoint: `${issuer}${ENDPOINT_PATHS.introspection}`,
    userinfo_endpoint: `${issuer}${ENDPOINT_PATHS.userinfo}`,
    revocation_endpoint: `${issuer}${ENDPOINT_PATHS.revocation}`,
    end_session_endpoint: `${issuer}${ENDPOINT_PATHS.endSession}`,
    jwks_uri: `${issuer}${ENDPOINT_PATHS.jwks}`,
    scopes_supported: ['openid', 'profile', 'email', 'phone', 'address', 'offline_access'],
    response_types_supported: ['code', 'id_token', 'id_token token'],
    grant_types_supported: [
      'authorization_code',
      'implicit',
      'refresh_token',
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
    ],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...algorithms],
    request_object_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    revocation_endpoint_auth_signing_alg_values_supported: ['RS256'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'private_key_jwt'],
    introspection_endpoint_auth_signing_alg_values_supported: ['RS256'],
    claims_supported: [
      'sub', 'aud', 'exp', 'iat', 'iss', 'auth_time', 'nonce', 'acr', 'amr', 'c_hash', 'at_hash',
      'act', 'scopes', 'client_id', 'azp', 'preferred_username', 'name', 'family_name',
      'given_name', 'locale', 'email', 'email_verified', 'phone_number', 'phone_number_verified',
    ],
    code_challenge_methods_supported: ['S256'],
    request_parameter_supported: true,
  };
}
