// The token mix of the load test: distinct tokens, each labelled with what it is, so that
// every answer can be judged (a valid token must pass, an invalid one must never).
import { generateKeyPairSync, randomBytes } from 'node:crypto';

/** Share of each kind in the mix; the rest are invalid opaque tokens. */
const MIX = { validJwt: 0.45, invalidJwt: 0.2, validOpaque: 0.3 };

/** Ways a JWT can be invalid, with the answer expected while the issuer is up. */
const INVALID_JWT = [
  ['expired', (issuer, roles) => issuer.mintJwt(roles, { expiresIn: -120 })],
  ['alg none', (issuer, roles) => issuer.mintJwt(roles, { unsigned: 'none' })],
  ['wrong audience', (issuer, roles) => issuer.mintJwt({ ...roles, aud: 'another-project' })],
  ['no exp', (issuer, roles) => issuer.mintJwt(roles, { omit: ['exp'] })],
  ['tampered payload', async (issuer, roles) => {
    const [header, , signature] = (await issuer.mintJwt(roles)).split('.');
    const payload = Buffer.from(JSON.stringify({ sub: 'admin', jti: randomBytes(6).toString('hex'), exp: 9_999_999_999 })).toString('base64url');
    return `${header}.${payload}.${signature}`;
  }],
  ['foreign key, unknown kid', (issuer, roles, attacker) => issuer.mintJwt(roles, { key: attacker, header: { kid: `attacker-${randomBytes(4).toString('hex')}` } })],
  ['foreign key, known kid', (issuer, roles, attacker) => issuer.mintJwt(roles, { key: attacker })],
];

/**
 * Mints `total` distinct tokens, shuffled: valid JWTs and opaque tokens (both carrying the
 * role the route needs), invalid JWTs of every kind above, and unknown or inactive opaque
 * tokens. Returns `{ token, kind, detail }` items.
 */
export async function mintTokenMix(issuer, total, role) {
  const roles = issuer.roleClaims([role]);
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const counts = {
    validJwt: Math.round(total * MIX.validJwt),
    invalidJwt: Math.round(total * MIX.invalidJwt),
    validOpaque: Math.round(total * MIX.validOpaque),
  };
  counts.invalidOpaque = total - counts.validJwt - counts.invalidJwt - counts.validOpaque;

  const items = [];
  for (let i = 0; i < counts.validJwt; i += 1) {
    items.push({ token: await issuer.mintJwt(roles, { expiresIn: 600 }), kind: 'valid-jwt', detail: 'valid' });
  }
  for (let i = 0; i < counts.invalidJwt; i += 1) {
    const [detail, mint] = INVALID_JWT[i % INVALID_JWT.length];
    items.push({ token: await mint(issuer, roles, attacker), kind: 'invalid-jwt', detail });
  }
  for (let i = 0; i < counts.validOpaque; i += 1) {
    items.push({ token: issuer.mintOpaque(roles, { expiresIn: 600 }), kind: 'valid-opaque', detail: 'valid' });
  }
  for (let i = 0; i < counts.invalidOpaque; i += 1) {
    const inactive = i % 2 === 0;
    items.push({
      token: inactive ? issuer.mintOpaque(roles, { active: false }) : randomBytes(32).toString('base64url'),
      kind: 'invalid-opaque',
      detail: inactive ? 'inactive' : 'unknown',
    });
  }
  if (new Set(items.map((item) => item.token)).size !== items.length) throw new Error('the token mix has duplicates');

  // Fisher-Yates, so every phase of the run sees every kind.
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return { items, counts };
}
