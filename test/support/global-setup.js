/**
 * Jest globalSetup of `npm test`:
 * - one RSA signing key for the test issuers of every test file, generated here at run time
 *   and handed to the workers in ZRS_TEST_ISSUER_KEY (support/test-keys.ts reads it): Jest
 *   gives each file its own module registry, so without it every file generates its own
 *   (100-450 ms of CPU each on this machine);
 * - RSA_POOL more RSA keys, distinct from it, in ZRS_TEST_RSA_KEYS (a JSON list of PKCS#8
 *   PEMs; support/test-keys.ts `otherRsaKey(i)`): for the keys a test needs besides the
 *   issuer's (a key file's, an attacker's, the dev issuer's three). About 50 RSA key
 *   generations across the files were 15 s of CPU of a 125 s run;
 * - one line on the Redis suite (test/redis), which is not part of npm test: whether it
 *   could run here, and how, so that a skipped suite is never silent.
 */
import { generateKeyPair } from 'node:crypto';
import { connect } from 'node:net';
import { promisify } from 'node:util';

/**
 * How many keys ZRS_TEST_RSA_KEYS holds: the most one test uses besides the issuer key (a
 * dev issuer's three). Each costs 100-600 ms of CPU here, on the wall clock before the first
 * test starts: the issuer key and these are two rounds on 2 cores.
 */
const RSA_POOL = 3;

/** A Redis answers PING (or refuses it for want of a password) within `timeoutMs`. */
function reachable(url, timeoutMs) {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(url.port || 6379) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH|-ERR)/.test(data.toString('latin1'))));
    socket.once('error', () => done(false));
  });
}

async function redisNotice() {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  // Without credentials, for the notice.
  const where = `${url.protocol}//${url.host}`;
  const line = (await reachable(url, 300))
    ? `Redis suite (test/redis) is not part of npm test: Redis at ${where} is reachable, run "npm run test:redis".`
    : `Redis suite (test/redis) skipped: no Redis at ${where}. Start one (or set REDIS_URL), then run "npm run test:redis".`;
  process.stdout.write(`\n${line}\n`);
}

/** A 2048-bit RSA private key as a PKCS#8 PEM, generated on libuv's thread pool (both cores). */
async function rsaPem() {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export default async function globalSetup() {
  const [issuerKey, others] = await Promise.all([
    process.env.ZRS_TEST_ISSUER_KEY ?? rsaPem(),
    process.env.ZRS_TEST_RSA_KEYS ?? Promise.all(Array.from({ length: RSA_POOL }, rsaPem)).then((pems) => JSON.stringify(pems)),
    redisNotice(),
  ]);
  process.env.ZRS_TEST_ISSUER_KEY = issuerKey;
  process.env.ZRS_TEST_RSA_KEYS = others;
}
