/**
 * The Redis suite (test/redis) is not part of `npm test`: say so, and whether it could run here.
 */
import { connect } from 'node:net';

const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
/** Without credentials, for the log line. */
const where = `${url.protocol}//${url.host}`;

/** A Redis answers PING (or refuses it for want of a password) within `timeoutMs`. */
function reachable(timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(url.port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data: Buffer) => done(/^(\+PONG|-NOAUTH|-ERR)/.test(data.toString('latin1'))));
    socket.once('error', () => done(false));
  });
}

it('points to the Redis suite', async () => {
  const state = (await reachable(300)) ? 'is reachable' : 'is unreachable: skipped';
  console.log(`Redis suite: not part of npm test — run "npm run test:redis" (Redis at ${where} ${state})`);
});
