import { classifyToken, isZitadelOpaqueJwe } from '../token-kind.js';

/*
 * The shapes of the tokens ZITADEL introspects, read from its source:
 *
 * - Opaque access tokens, legacy form: `base64url(AES-CFB(key, "<tokenID>:<userID>"))`
 *   with a 16-byte IV in front (zitadel/oidc `pkg/op/token.go` `CreateBearerToken`,
 *   `pkg/crypto/crypto.go` `EncryptAES`: `base64.RawURLEncoding`). A v2 token id is
 *   `V2_<sessionID>-at_<tokenID>`; with 18-digit ids the plaintext is 62 bytes and the token
 *   104 characters.
 * - Personal access tokens: the same construction over `"<tokenID>:<userID>"`
 *   (`internal/command/user_personal_access_token.go` `createToken`): 37 bytes of plaintext
 *   with 18-digit ids, so 71 characters.
 * - Opaque access tokens, current form (zitadel/oidc ≥ 3.47 `NewAES256GCMCrypto`, used by
 *   `internal/api/oidc/op.go`): a compact JWE with `alg: A256GCMKW`, `enc: A256GCM`
 *   over the same plaintext — five base64url segments.
 *
 * The lengths are not fixed in practice: ids of instances created early are shorter than 18
 * digits, and users can have custom ids (which ZITADEL puts in the plaintext as they are). A
 * length check that refused those would answer 401 to valid tokens, so the check bounds the
 * plaintext instead of pinning it: at least 16 bytes (see MIN_PLAINTEXT; ZITADEL's own
 * need 18: a generated token id — sonyflake, 16 digits or more for any id made since 2019 —
 * a colon and a one-character user id), at most 256. That refuses UUIDs, hex strings and most made-up strings, but not random base64url of
 * a plausible length: the concurrency and rate bounds deal with those. It also requires
 * canonical base64url (the issuer decodes leniently, so one token could be spelled several
 * ways, each hashing — and being cached and revoked — differently).
 */

const IV_BYTES = 16;
// 16, not 18: a shorter bound than ZITADEL's own tokens need, so that issuers emulating
// ZITADEL with 32-byte random tokens (oidc-provider's opaque format, 43 characters) pass too;
// it still refuses UUIDs, 32-character hex strings and words.
const MIN_PLAINTEXT = 16;
const MAX_PLAINTEXT = 256;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The decoded length of a canonical base64url string, or -1 when it is not canonical. */
function canonicalLength(segment: string): number {
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) return -1;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes.length : -1;
}

/**
 * True when `token` has the shape of a token ZITADEL issues: an opaque access token or a PAT
 * (one canonical base64url string of 16 + 16…256 bytes, or ZITADEL's `A256GCMKW` JWE), or a
 * JWS (ZITADEL JWT access tokens are introspected too, for scope enrichment and active-token
 * routes). Costs no I/O; a `false` lets the caller refuse the token (401 `ERR_TOKEN_MALFORMED`)
 * without asking the issuer. Used in the `claims: 'zitadel'` preset only.
 *
 * @example
 * hasZitadelTokenShape(crypto.randomUUID()) // false: 27 bytes cannot hold an IV and two ids
 * hasZitadelTokenShape('B9Hc10U58unYd2h2Qc6Roajo__CnXjPU2ZzRAGaBlscDSYBFUEuHji6es2b2xsHZYZi_PeA') // true: a PAT's shape
 */
export function hasZitadelTokenShape(token: string): boolean {
  if (!token.includes('.')) {
    const length = canonicalLength(token);
    return length >= IV_BYTES + MIN_PLAINTEXT && length <= IV_BYTES + MAX_PLAINTEXT;
  }
  const segments = token.split('.');
  if (segments.length === 5) {
    if (!isZitadelOpaqueJwe(token)) return false;
    const [header, key, iv, ciphertext, tag] = segments.map(canonicalLength) as [number, number, number, number, number];
    // A256GCMKW wraps a 32-byte content key; A256GCM uses a 12-byte IV and a 16-byte tag.
    return header > 0 && key === 32 && iv === 12 && tag === 16 && ciphertext >= MIN_PLAINTEXT && ciphertext <= MAX_PLAINTEXT;
  }
  if (segments.length !== 3) return false;
  try {
    return classifyToken(token).kind === 'jwt';
  } catch {
    return false;
  }
}
