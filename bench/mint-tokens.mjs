// Fast minting of many distinct ZITADEL-shaped RS256 JWT access tokens for the memory step:
// one fresh RSA-2048 key, node:crypto signing, split across worker threads.
//
//   node bench/mint-tokens.mjs --count 100000 --out /tmp/tokens.txt [--workers 2]
//
// Writes the tokens one per line to --out, and `{ issuer, audience, projectId, jwks }` to
// `${out}.json`. The key never leaves this process.
import { createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

export const MEMORY_ISSUER = 'http://127.0.0.1:9';
export const MEMORY_AUDIENCE = ['test-project', 'test-api-client'];
export const MEMORY_PROJECT_ID = 'test-project';

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

function mintRange({ pem, kid, from, to, expiresIn }) {
  const key = createPrivateKey(pem); // parse once: a PEM per sign() call costs ~1 ms
  const header = b64({ alg: 'RS256', kid, typ: 'JWT' });
  const now = Math.floor(Date.now() / 1000);
  const grants = { 'orders.read': { '100000000000000001': 'org-100000000000000001.test-issuer.localhost' } };
  const out = [];
  for (let i = from; i < to; i++) {
    const payload = b64({
      iss: MEMORY_ISSUER,
      sub: `3${String(i).padStart(17, '0')}`,
      aud: MEMORY_AUDIENCE,
      client_id: 'service-user-client',
      jti: randomBytes(12).toString('base64url'),
      iat: now,
      nbf: now,
      exp: now + expiresIn,
      'urn:zitadel:iam:user:resourceowner:id': '100000000000000001',
      'urn:zitadel:iam:org:project:roles': grants,
      [`urn:zitadel:iam:org:project:${MEMORY_PROJECT_ID}:roles`]: grants,
    });
    const input = `${header}.${payload}`;
    out.push(`${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`);
  }
  return out.join('\n');
}

if (!isMainThread) {
  parentPort.postMessage(mintRange(workerData));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i === -1 ? fallback : process.argv[i + 1];
  };
  const count = Number(arg('count', '100000'));
  const out = arg('out');
  const workers = Math.max(1, Number(arg('workers', String(availableParallelism()))));
  if (!out || !Number.isInteger(count) || count < 1) throw new Error('usage: mint-tokens.mjs --count N --out FILE');
  const started = performance.now();
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const kid = String(Date.now());
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const per = Math.ceil(count / workers);
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const from = w * per;
      const to = Math.min(count, from + per);
      return new Promise((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: { pem, kid, from, to, expiresIn: 3600 } });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  writeFileSync(out, parts.filter((p) => p !== '').join('\n'));
  writeFileSync(`${out}.json`, JSON.stringify({ issuer: MEMORY_ISSUER, audience: MEMORY_AUDIENCE, projectId: MEMORY_PROJECT_ID, jwks: { keys: [jwk] } }));
  if (process.send) process.send({ type: 'minted', count, ms: performance.now() - started }, () => process.disconnect());
  else console.log(`minted ${count} tokens in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
