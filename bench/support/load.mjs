// The load generator: autocannon, in-process (the bench parent is pinned to core 1).
import autocannon from 'autocannon';

/**
 * One autocannon run against `GET /orders`. `headers` is a list of ready `Authorization`
 * values (`Bearer …`). Every request, on every row — baselines included — gets its header
 * from `setupRequest`, so autocannon rebuilds each request and every row pays the same
 * generator cost: a list of one is the repeated token; a longer list is cycled through by
 * one counter shared by all connections, so consecutive requests carry distinct tokens.
 * With `wrap: false` (first-seen tokens) the list is not meant to be cycled: a request past
 * its end starts over and is counted in `reused`.
 * `duration` in seconds, or `amount` requests (exactly that many: autocannon stops each
 * connection at its share). `onLastResponse` is called when the `amount`-th response arrives.
 *
 * The run's time is measured here, from the start to the last response: autocannon ends an
 * `amount` run only at its next 1 s sampling tick, so its own `duration` (and req/s from
 * it) would round a 2.3 s run up to 3 s.
 */
export async function load({ port, headers, connections, duration, amount, wrap = true, onLastResponse }) {
  if (!Array.isArray(headers) || headers.length === 0) throw new Error('load(): headers must be a non-empty list');
  let next = 0;
  let built = 0;
  const request = {
    method: 'GET',
    path: '/orders',
    setupRequest: (req) => {
      req.headers.authorization = headers[next];
      next = next + 1 === headers.length ? 0 : next + 1;
      built += 1;
      return req;
    },
  };
  const started = performance.now();
  let last = started;
  let responses = 0;
  const run = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: amount === undefined ? connections : Math.min(connections, amount),
    pipelining: 1,
    ...(amount === undefined ? { duration } : { amount }),
    requests: [request],
    timeout: 10,
  });
  run.on('response', () => {
    last = performance.now();
    responses += 1;
    if (responses === amount) onLastResponse?.();
  });
  const result = await run;
  const durationS = (last - started) / 1000;
  return {
    requests: result.requests.total,
    durationS,
    reqPerSec: durationS > 0 ? result.requests.total / durationS : undefined,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    reused: wrap ? 0 : Math.max(0, built - headers.length),
  };
}
