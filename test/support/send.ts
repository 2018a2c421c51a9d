import { request } from 'node:http';

export interface Sent {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly body: unknown;
  readonly ms: number;
}

/**
 * One real HTTP request with exact control of the headers (two Authorization headers
 * included: `fetch` would merge them into one).
 */
export function send(
  url: string,
  options: { method?: string; headers?: [string, string][]; body?: string } = {},
): Promise<Sent> {
  const started = performance.now();
  // The Host of the URL, unless the caller sends its own (a public host behind a proxy).
  const ownHost = options.headers?.some(([name]) => name.toLowerCase() === 'host') === true;
  const flat: string[] = ownHost ? [] : ['host', new URL(url).host];
  for (const [name, value] of options.headers ?? []) flat.push(name, value);
  if (options.body !== undefined) flat.push('content-length', String(Buffer.byteLength(options.body)));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: flat, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body, ms: performance.now() - started });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Shorthand: GET with `Authorization: Bearer <token>` (or no header). */
export function get(url: string, token?: string): Promise<Sent> {
  return send(url, { headers: token === undefined ? [] : [['authorization', `Bearer ${token}`]] });
}

/**
 * Sends a request with a bearer token and destroys the connection after `abortAfterMs`,
 * before any answer: a client that leaves while the decision waits for the issuer.
 */
export function sendAndAbort(url: string, token: string, abortAfterMs: number, method = 'POST'): Promise<void> {
  return new Promise((resolve) => {
    const req = request(url, { method, headers: { authorization: `Bearer ${token}`, 'content-length': '0' }, agent: false });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.end();
    setTimeout(() => req.destroy(), abortAfterMs);
  });
}
