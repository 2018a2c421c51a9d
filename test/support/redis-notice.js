/**
 * Jest globalSetup of `npm test`: the Redis suite (test/redis) is not part of it. One line
 * says so, and whether it could run here, so that a skipped suite is never silent.
 */
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

export default async function redisNotice() {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  // Without credentials, for the notice.
  const where = `${url.protocol}//${url.host}`;
  const line = (await reachable(url, 300))
    ? `Redis suite (test/redis) is not part of npm test: Redis at ${where} is reachable, run "npm run test:redis".`
    : `Redis suite (test/redis) skipped: no Redis at ${where}. Start one (or set REDIS_URL), then run "npm run test:redis".`;
  process.stdout.write(`\n${line}\n`);
}
