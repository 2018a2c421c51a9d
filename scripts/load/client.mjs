// A bounded-concurrency HTTP client for the load test: `concurrency` workers share one
// keep-alive agent and pull requests from one queue until it is empty.
import { Agent, request } from 'node:http';

/** The keep-alive agent a run's workers share (one socket per worker). */
export function createAgent(concurrency) {
  return new Agent({ keepAlive: true, maxSockets: concurrency });
}

/** One GET with `Authorization: Bearer <token>`; resolves with the status (0 on a transport error). */
export function call(agent, url, token) {
  return new Promise((resolve) => {
    const req = request(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }));
      res.on('error', (error) => resolve({ status: 0, error: error.code ?? error.message }));
    });
    req.on('error', (error) => resolve({ status: 0, error: error.code ?? error.message }));
    req.end();
  });
}

/**
 * Sends one request per item with at most `concurrency` in flight. `onProgress(dispatched)`
 * is called after each dispatch (the test uses it to take the issuer down mid-run). Every
 * item gets `{ status, start, end }` (ms since `t0`).
 */
export async function run({ url, items, concurrency, t0, onProgress, agent = createAgent(concurrency) }) {
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      onProgress?.(next);
      item.start = performance.now() - t0;
      const answer = await call(agent, url, item.token);
      item.end = performance.now() - t0;
      item.status = answer.status;
      item.retryAfter = answer.retryAfter;
      if (answer.error) item.error = answer.error;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
}
