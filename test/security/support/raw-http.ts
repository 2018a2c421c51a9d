import { connect } from 'node:net';
import type { Sent } from '../../support/send.js';

/**
 * Sends bytes exactly as given over a fresh TCP connection and parses the answer. For
 * requests Node's HTTP client refuses to write (non-Latin-1 header values, NUL bytes,
 * obsolete line folding): the point is to see what the server does with them.
 *
 * `head` is the request line and header lines without the final blank line; `Host` and
 * `Connection: close` are added.
 */
export function rawRequest(url: string, head: Buffer | string, body = ''): Promise<Sent> {
  const target = new URL(url);
  const started = performance.now();
  const request = Buffer.concat([
    typeof head === 'string' ? Buffer.from(head, 'latin1') : head,
    Buffer.from(`\r\nHost: ${target.host}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, 'latin1'),
  ]);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server may answer and reset at once (e.g. a 400 on a parse error): keep what came.
      if (error.code === 'ECONNRESET' && chunks.length > 0) return;
      reject(error);
    });
    socket.on('close', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks), performance.now() - started));
      } catch (error) {
        reject(error as Error);
      }
    });
    socket.write(request);
  });
}

function parseResponse(raw: Buffer, ms: number): Sent {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no HTTP response (${raw.length} bytes received)`);
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string | string[] | undefined> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  let bodyBytes = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  if (headers['transfer-encoding'] === 'chunked') bodyBytes = dechunk(bodyBytes);
  const bodyText = bodyBytes.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  return { status, headers, text: bodyText, body, ms };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd === -1) break;
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
