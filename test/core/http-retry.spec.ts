/**
 * An upstream call on a kept-alive connection that the issuer closed (it restarted, or
 * dropped idle connections) is tried once more on a new connection, within the same
 * deadline, instead of failing the caller with a 503; an answer, a refused connection or a
 * timeout is never retried. Real HTTP on 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestJson, UpstreamError } from '../../lib/core/http.js';

describe('requestJson on a connection the issuer closed', () => {
  let server: http.Server;
  let url = '';
  let hits = 0;
  let drop = 0;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits += 1;
      if (drop > 0) {
        drop -= 1;
        req.socket.destroy();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ active: true }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/v2/introspect`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    hits = 0;
    drop = 0;
  });

  const call = () => requestJson({ url, method: 'POST', body: 'token=x', timeoutMs: 2000, maxBytes: 10_000, fetch });

  it('is answered by the second try when the first connection closes without an answer', async () => {
    drop = 1;
    const response = await call();
    expect(response).toMatchObject({ status: 200, body: { active: true } });
    expect(hits).toBe(2);
  });

  it('tries only once more: a second closed connection is an unreachable upstream', async () => {
    drop = 5;
    await expect(call()).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNREACHABLE' });
    expect(hits).toBe(2);
  });

  it('does not retry a refused connection', async () => {
    let calls = 0;
    const counting: typeof fetch = (input, init) => {
      calls += 1;
      return fetch(input, init);
    };
    const refused = await requestJson({ url: 'http://127.0.0.1:1/keys', timeoutMs: 2000, maxBytes: 100, fetch: counting }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UpstreamError);
    expect(calls).toBe(1);
  });
});
