/**
 * Tokens in ZITADEL's own formats, for core tests (no issuer needed).
 *
 * - PAT: base64url(16-byte IV ‖ AES-CFB("<tokenID>:<userID>")) — `internal/command/user_personal_access_token.go`
 *   `createToken`; 71 characters with 18-digit ids.
 * - opaque access token (legacy form): the same over "V2_<sessionID>-at_<tokenID>:<userID>" —
 *   zitadel/oidc `pkg/op/token.go` `CreateBearerToken`, `pkg/crypto/crypto.go` `EncryptAES`; 104 characters.
 * - opaque access token (current form): a compact JWE, `alg: A256GCMKW`, `enc: A256GCM` —
 *   zitadel/oidc `pkg/op/crypto.go` `aes256GCMCrypto`, used by ZITADEL's `internal/api/oidc/op.go`.
 *
 * The IV and ciphertext are random bytes here (nobody decrypts them but the issuer).
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { CompactEncrypt } from 'jose';

let sequence = 0;

/** An 18-digit id like ZITADEL's (sonyflake) ids, distinct per call. */
export function zitadelId(): string {
  sequence += 1;
  return String(354_201_447_279_099_906n + BigInt(sequence));
}

function aesCfb(plaintext: string): string {
  const key = randomBytes(32);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cfb', key, iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64url');
}

/** A personal access token as ZITADEL mints it (71 characters with 18-digit ids). */
export function zitadelPat(userId = zitadelId()): string {
  return aesCfb(`${zitadelId()}:${userId}`);
}

/** A v2 opaque access token in ZITADEL's legacy AES form (104 characters with 18-digit ids). */
export function zitadelOpaqueToken(userId = zitadelId()): string {
  return aesCfb(`V2_${zitadelId()}-at_${zitadelId()}:${userId}`);
}

/** A v2 opaque access token in ZITADEL's current JWE form (five segments). */
export async function zitadelJweToken(userId = zitadelId()): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(`V2_${zitadelId()}-at_${zitadelId()}:${userId}`))
    .setProtectedHeader({ alg: 'A256GCMKW', enc: 'A256GCM' })
    .encrypt(randomBytes(32));
}
