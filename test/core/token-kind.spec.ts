/** ZITADEL's encrypted opaque tokens are opaque; every other JWE is still refused. */
import { randomBytes } from 'node:crypto';
import { CompactEncrypt, generateKeyPair } from 'jose';
import { classifyToken, isZitadelOpaqueJwe } from '../../lib/core/token-kind.js';
import { zitadelJweToken, zitadelPat } from './support/zitadel-tokens.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const withHeader = (header: unknown) => `${b64(header)}.${randomBytes(40).toString('base64url')}.${randomBytes(12).toString('base64url')}.${randomBytes(60).toString('base64url')}.${randomBytes(16).toString('base64url')}`;

describe('classifyToken and JWE', () => {
  it("classifies ZITADEL's A256GCMKW opaque token as opaque (it is a reference for introspection)", async () => {
    const token = await zitadelJweToken();
    expect(token.split('.')).toHaveLength(5);
    expect(isZitadelOpaqueJwe(token)).toBe(true);
    expect(classifyToken(token)).toEqual({ kind: 'opaque' });
    expect(classifyToken(withHeader({ alg: 'A256GCMKW', enc: 'A256GCM', iv: 'aXZpdml2aXZpdml2', tag: 'dGFn', kid: 'k1' }))).toEqual({ kind: 'opaque' });
    expect(classifyToken(zitadelPat())).toEqual({ kind: 'opaque' });
  });

  it.each([
    ['dir', { alg: 'dir', enc: 'A256GCM' }],
    ['RSA-OAEP (encrypted to this API)', { alg: 'RSA-OAEP', enc: 'A256GCM' }],
    ['A256GCMKW with another enc', { alg: 'A256GCMKW', enc: 'A128CBC-HS256', iv: 'a', tag: 'b' }],
    ['A256GCMKW without iv and tag', { alg: 'A256GCMKW', enc: 'A256GCM' }],
    ['A256GCMKW with zip', { alg: 'A256GCMKW', enc: 'A256GCM', iv: 'a', tag: 'b', zip: 'DEF' }],
    ['A256GCMKW with a cty (a nested JWT)', { alg: 'A256GCMKW', enc: 'A256GCM', iv: 'a', tag: 'b', cty: 'JWT' }],
    ['A256GCMKW with a numeric kid', { alg: 'A256GCMKW', enc: 'A256GCM', iv: 'a', tag: 'b', kid: 1 }],
    ['a header that is not an object', ['A256GCMKW']],
  ])('still refuses any other JWE (%s) with 401 ERR_TOKEN_UNSUPPORTED', (_name, header) => {
    expect(() => classifyToken(withHeader(header))).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_UNSUPPORTED', status: 401 }));
  });

  it('refuses a real RSA-OAEP JWE', async () => {
    const { publicKey } = await generateKeyPair('RSA-OAEP');
    const jwe = await new CompactEncrypt(new TextEncoder().encode('{"sub":"x"}')).setProtectedHeader({ alg: 'RSA-OAEP', enc: 'A256GCM' }).encrypt(publicKey);
    expect(() => classifyToken(jwe)).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_UNSUPPORTED' }));
  });
});
