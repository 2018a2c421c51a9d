/**
 * Jest globalSetup of `npm test`:
 * - one RSA signing key for the test issuers of every test file, generated here at run time
 *   and handed to the workers in ZRS_TEST_ISSUER_KEY (support/test-keys.ts reads it): Jest
 *   gives each file its own module registry, so without it every file generates its own
 *   (about 300 ms of CPU each, 50 files);
 * - one line on the Redis suite (test/redis), which is not part of npm test: whether it
 *   could run here, and how, so that a skipped suite is never silent.
 */
import { generateKeyPairSync } from 'node:crypto';
import { connect } from 'node:net';

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

export default async function globalSetup() {
  process.env.ZRS_TEST_ISSUER_KEY ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await redisNotice();
}
