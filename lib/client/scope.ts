import { invalidOption } from './errors.js';

/**
 * ZITADEL's reserved scope that puts a project into the token's `aud`:
 * `urn:zitadel:iam:org:project:id:{projectId}:aud`. An API that accepts the project id as
 * audience needs callers to ask for it.
 *
 * @example
 * ```ts
 * createTokenSource({
 *   issuer: 'https://acme.zitadel.cloud',
 *   scope: ['openid', projectAudienceScope('294800000000000001')],
 *   credentials: { type: 'jwt_profile', keyFile: '/run/secrets/orders-batch.json' },
 * });
 * ```
 */
export function projectAudienceScope(projectId: string): string {
  if (typeof projectId !== 'string' || !SCOPE_TOKEN.test(projectId)) {
    invalidOption('projectAudienceScope(projectId): "projectId" must be a non-empty string without spaces');
  }
  return `urn:zitadel:iam:org:project:id:${projectId}:aud`;
}

/** RFC 6749 §3.3 scope-token: `1*( %x21 / %x23-5B / %x5D-7E )`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Checks the `scope` option and returns the space-separated value to send, or `undefined`
 * when no scope is requested.
 */
export function resolveScope(value: unknown, option: string): string | undefined {
  if (value === undefined) return undefined;
  let scopes: unknown[];
  if (typeof value === 'string') scopes = value.split(' ').filter((s) => s !== '');
  else if (Array.isArray(value)) scopes = value;
  else invalidOption(`"${option}" option must be a string or a list of strings`);
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !SCOPE_TOKEN.test(scope)) {
      invalidOption(`"${option}" option must hold scope tokens without spaces, quotes or backslashes (got ${JSON.stringify(scope)})`);
    }
  }
  const unique = [...new Set(scopes as string[])];
  return unique.length === 0 ? undefined : unique.join(' ');
}
