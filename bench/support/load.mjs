// The load generator: autocannon, in-process (the bench parent is pinned to core 1).
import autocannon from 'autocannon';

/**
 * One autocannon run against `GET /orders`. `tokens` is one token (the same header on
 * every request) or an array (a shared counter cycles through it across all connections,
 * so consecutive requests carry distinct tokens). `duration` in seconds, or `amount` requests.
 */
export async function load({ port, tokens, connections, duration, amount }) {
  const pool = Array.isArray(tokens) ? tokens.map((t) => `Bearer ${t}`) : undefined;
  let next = 0;
  const request = pool
    ? {
        method: 'GET',
        path: '/orders',
        setupRequest: (req) => {
          req.headers.authorization = pool[next];
          next = next + 1 === pool.length ? 0 : next + 1;
          return req;
        },
      }
    : { method: 'GET', path: '/orders' };
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    pipelining: 1,
    ...(amount === undefined ? { duration } : { amount }),
    headers: pool ? {} : { authorization: `Bearer ${tokens}` },
    requests: [request],
    timeout: 10,
  });
  return {
    requests: result.requests.total,
    durationS: result.duration,
    reqPerSec: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
