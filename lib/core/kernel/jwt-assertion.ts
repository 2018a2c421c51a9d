import { randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

/** Who signs an RFC 7523 assertion with a ZITADEL key, and for which audience. */
export interface JwtAssertionInput {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  /** `iss` and `sub`: the service user's id (JWT profile grant) or the API application's client id (client authentication). */
  readonly subject: string;
  /** `aud`: the issuer. */
  readonly audience: string;
  readonly now: () => number;
}

/**
 * An RFC 7523 JWT as ZITADEL checks it, for both of its uses (the JWT profile grant, §2.1,
 * and `private_key_jwt` client authentication, §2.2): RS256, `kid` = keyId,
 * `iss` = `sub`, `aud` = the issuer, `iat`, `exp` = `iat` + 60 s, and a fresh `jti` each
 * time (an issuer may refuse a replayed assertion). ZITADEL reads it in
 * `internal/api/oidc/token_jwt_profile.go` and `client.go` (via zitadel/oidc `pkg/op`).
 */
export async function signJwtAssertion(input: JwtAssertionInput): Promise<string> {
  const iat = Math.floor(input.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: input.keyId })
    .setIssuer(input.subject)
    .setSubject(input.subject)
    .setAudience(input.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 60)
    .setJti(randomUUID())
    .sign(input.privateKey);
}
