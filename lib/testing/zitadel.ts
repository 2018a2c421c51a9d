/**
 * ZITADEL's wire vocabulary, as the test issuer emulates it: reserved scopes, claim names,
 * id and token formats, lifetimes. Each value names the ZITADEL (or zitadel/oidc) source it
 * was read from.
 */
import { createCipheriv, randomBytes, randomInt } from 'node:crypto';

/** Reserved scopes (`internal/api/oidc/client.go` constants, `internal/domain/request.go`). */
export const SCOPES = Object.freeze({
  openid: 'openid',
  profile: 'profile',
  /** `urn:zitadel:iam:org:project:id:{id}:aud` (`domain.ProjectIDScope` + `domain.AudSuffix`). */
  projectIdPrefix: 'urn:zitadel:iam:org:project:id:',
  audSuffix: ':aud',
  /** `domain.ProjectIDScopeZITADEL`: the instance's own project. */
  zitadelProject: 'zitadel',
  /** `ScopeProjectsRoles`. */
  projectsRoles: 'urn:zitadel:iam:org:projects:roles',
  /** `ScopeProjectRolePrefix`. */
  projectRolePrefix: 'urn:zitadel:iam:org:project:role:',
  /** `ScopeResourceOwner`. */
  resourceOwner: 'urn:zitadel:iam:user:resourceowner',
  /** `ScopeUserMetaData`. */
  metadata: 'urn:zitadel:iam:user:metadata',
  /** `domain.OrgIDScope`. */
  orgIdPrefix: 'urn:zitadel:iam:org:id:',
  /** `domain.OrgDomainPrimaryScope`. */
  orgDomainPrimaryPrefix: 'urn:zitadel:iam:org:domain:primary:',
  /** `domain.OrgRoleIDScope`: restricts role claims to these organizations. */
  orgRoleIdPrefix: 'urn:zitadel:iam:org:roles:id:',
} as const);

/** Claim names (`internal/api/oidc/client.go` constants, `internal/domain/request.go`). */
export const CLAIMS = Object.freeze({
  /** `ClaimProjectRoles`: the generic role claim, only for the request's own project. */
  projectRoles: 'urn:zitadel:iam:org:project:roles',
  /** `ClaimProjectRolesFormat`. */
  projectRolesOf: (projectId: string): string => `urn:zitadel:iam:org:project:${projectId}:roles`,
  resourceOwnerId: 'urn:zitadel:iam:user:resourceowner:id',
  resourceOwnerName: 'urn:zitadel:iam:user:resourceowner:name',
  resourceOwnerPrimaryDomain: 'urn:zitadel:iam:user:resourceowner:primary_domain',
  /** `domain.OrgIDClaim`. */
  orgId: 'urn:zitadel:iam:org:id',
  /** `domain.OrgDomainPrimaryClaim`. */
  orgDomainPrimary: 'urn:zitadel:iam:org:domain:primary',
} as const);

/**
 * Default access token lifetime of a ZITADEL instance: 12 h (`cmd/defaults.yaml`
 * `OIDC.DefaultAccessTokenLifetime`), in seconds.
 */
export const ACCESS_TOKEN_LIFETIME = 12 * 60 * 60;

/**
 * Expiry of a PAT created without an expiration date: 9999-12-31T23:59:59Z
 * (`internal/domain/expiration.go` `ValidateExpirationDate`), in seconds.
 */
export const PAT_NO_EXPIRY = Date.UTC(9999, 11, 31, 23, 59, 59) / 1000;

/**
 * Scopes of every PAT: static, not chosen by the caller
 * (`internal/api/grpc/user/v2/pat.go` `AddPersonalAccessToken`).
 */
export const PAT_SCOPES: readonly string[] = Object.freeze([SCOPES.openid, SCOPES.profile, SCOPES.metadata, SCOPES.resourceOwner]);

/** A ZITADEL resource id: an 18-digit decimal string (sonyflake, `internal/id`). */
export function zitadelId(): string {
  return `${randomInt(100_000_000, 1_000_000_000)}${randomInt(100_000_000, 1_000_000_000)}`;
}

/**
 * The id of an access token of an OIDC session: `V2_<sessionId>-at_<tokenId>`, the JWT's
 * `jti` and the introspection answer's `jti` (`internal/command/oidc_session.go`:
 * `IDPrefixV2`, `AccessTokenPrefix`, `TokenDelimiter`, `PushEvents`).
 */
export function accessTokenId(): string {
  return `V2_${zitadelId()}-at_${zitadelId()}`;
}

/** How ZITADEL encrypts opaque access tokens; see {@link opaqueAccessToken}. */
export type OpaqueTokenFormat = 'aes' | 'jwe';

/**
 * An opaque access token as the token endpoint returns it: the encryption of
 * `<tokenId>:<userId>` (`zitadel/oidc` `pkg/op/token.go` `CreateBearerToken`).
 *
 * - `'aes'`: AES-CFB, a 16-byte IV before the ciphertext, base64url without padding, no dots
 *   (`zitadel/oidc` `pkg/crypto/crypto.go` `EncryptAES`): 104 characters for 18-digit ids.
 *   ZITADEL releases built on zitadel/oidc before v3.47 issue these.
 * - `'jwe'`: a compact JWE, `A256GCMKW` + `A256GCM` (five segments, four dots), what
 *   zitadel/oidc v3.47 (`pkg/op/crypto.go` `aes256GCMCrypto`) and the newest ZITADEL source
 *   (`internal/api/oidc/op.go` `NewServer`: `op.NewAES256GCMCrypto`) produce.
 *
 * The test issuer never decrypts: it looks tokens up. The bytes are random or encrypted with
 * a throwaway key; only the shape is ZITADEL's.
 */
export function opaqueAccessToken(tokenId: string, userId: string, format: OpaqueTokenFormat): string {
  const plaintext = Buffer.from(`${tokenId}:${userId}`, 'utf8');
  if (format === 'jwe') return compactJwe(plaintext);
  return randomBytes(16 + plaintext.length).toString('base64url');
}

function gcm(key: Buffer, iv: Buffer, data: Buffer, aad?: Buffer): { ciphertext: Buffer; tag: Buffer } {
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad !== undefined) cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

/**
 * RFC 7516 compact JWE with `alg: A256GCMKW` (RFC 7518 §4.7: the content key wrapped with
 * AES-GCM, `iv` and `tag` in the header) and `enc: A256GCM`, under a throwaway key. Header
 * members in go-jose's (sorted) order.
 */
function compactJwe(plaintext: Buffer): string {
  const kek = randomBytes(32);
  const cek = randomBytes(32);
  const wrapIv = randomBytes(12);
  const wrapped = gcm(kek, wrapIv, cek);
  const header = { alg: 'A256GCMKW', enc: 'A256GCM', iv: wrapIv.toString('base64url'), tag: wrapped.tag.toString('base64url') };
  const protectedHeader = Buffer.from(JSON.stringify(header), 'utf8').toString('base64url');
  const iv = randomBytes(12);
  const content = gcm(cek, iv, plaintext, Buffer.from(protectedHeader, 'ascii'));
  return [protectedHeader, wrapped.ciphertext, iv, content.ciphertext, content.tag]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/**
 * A personal access token: base64url (no padding) of the AES-CFB encryption of
 * `<tokenId>:<userId>` with a 16-byte IV (`internal/command/user_personal_access_token.go`
 * `createToken`, `internal/crypto/aes.go` `EncryptAES`): 71 characters for 18-digit ids.
 */
export function personalAccessToken(tokenId: string, userId: string): string {
  return randomBytes(16 + Buffer.byteLength(`${tokenId}:${userId}`, 'utf8')).toString('base64url');
}

/** `urn:zitadel:iam:org:project:id:{projectId}:aud`. */
export function projectAudienceScope(projectId: string): string {
  return `${SCOPES.projectIdPrefix}${projectId}${SCOPES.audSuffix}`;
}
