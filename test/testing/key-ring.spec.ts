/**
 * importTestKeys(): a key generated elsewhere (a Jest globalSetup) signs for test issuers, so
 * test files share one key across module registries.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createResourceServer } from '../../lib/core/resource-server.js';
import { createTestIssuer, importTestKeys } from '../../lib/testing/index.js';
import { otherRsaKey } from '../support/test-keys.js';

const silent = { warn: () => undefined, error: () => undefined };

describe('importTestKeys', () => {
  const rsa = otherRsaKey(0);
  const pem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

  it('signs with the imported key: issuers using it publish its public key and their tokens verify', async () => {
    const keys = await importTestKeys(pem);
    expect(keys.alg).toBe('RS256');
    const [a, b] = await Promise.all([createTestIssuer({ keys }), createTestIssuer({ keys: await importTestKeys(rsa.privateKey) })]);
    try {
      const published = (await (await fetch(a.jwksUri)).json()) as { keys: { kid: string; n: string }[] };
      expect(published.keys).toHaveLength(1);
      expect(published.keys[0]!.kid).toBe(keys.kid);
      expect(published.keys[0]!.n).toBe((rsa.publicKey.export({ format: 'jwk' }) as { n: string }).n);
      for (const issuer of [a, b]) {
        const rs = createResourceServer({ issuer: issuer.issuer, audience: 'test-project', logger: silent });
        await expect(rs.authenticate(`Bearer ${await issuer.mintJwt()}`)).resolves.toMatchObject({ verifiedBy: 'jwks' });
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('takes another algorithm for a key of its type', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const keys = await importTestKeys(ec, 'ES256');
    const issuer = await createTestIssuer({ keys });
    try {
      const token = await issuer.mintJwt();
      expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'ES256', kid: keys.kid });
    } finally {
      await issuer.close();
    }
  });

  it('refuses what is not a private key for the algorithm, naming the problem', async () => {
    await expect(importTestKeys('not a pem')).rejects.toThrow('importTestKeys "privateKey" must be a private key');
    await expect(importTestKeys(rsa.publicKey)).rejects.toThrow('importTestKeys "privateKey" must be a private key');
    await expect(importTestKeys(pem, 'ES256')).rejects.toThrow('importTestKeys "privateKey" is not a key for ES256');
    await expect(importTestKeys(pem, 'HS256')).rejects.toThrow('"alg" option');
  });
});
