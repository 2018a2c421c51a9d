import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the fault server answers one path. */
export type Behaviour =
  | { readonly kind: 'json'; readonly status?: number; readonly body: unknown; readonly headers?: Record<string, string> }
  | { readonly kind: 'text'; readonly status?: number; readonly body: string; readonly contentType?: string }
  /** Accept the request, never answer. */
  | { readonly kind: 'hang' }
  /** Destroy the connection as soon as the request arrives. */
  | { readonly kind: 'reset' }
  /**
   * `json` (an object) padded with a `"padding"` member to exactly `bytes` bytes: valid JSON
   * that only a reader without a size cap would accept. Streamed, with or without
   * Content-Length.
   */
  | { readonly kind: 'huge'; readonly json: Record<string, unknown>; readonly bytes: number; readonly contentLength: boolean }
  /** Status and headers at once, then one byte every `everyMs` for ever. */
  | { readonly kind: 'trickle'; readonly everyMs: number }
  | { readonly kind: 'redirect'; readonly status: 301 | 302 | 303 | 307 | 308; readonly location: string };

export interface FaultServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Paths requested, in order. */
  readonly hits: string[];
  /** Sets how `path` is answered. */
  on(path: string, behaviour: Behaviour): void;
  close(): Promise<void>;
}

/**
 * A `node:http` server on 127.0.0.1 that answers each path the way it is told to, however
 * broken that is. Unknown paths get a 404.
 */
export async function startFaultServer(): Promise<FaultServer> {
  const behaviours = new Map<string, Behaviour>();
  const hits: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.push(path);
    req.resume();
    answer(res, behaviours.get(path) ?? { kind: 'json', status: 404, body: { error: 'not_found' } });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  function answer(res: ServerResponse, behaviour: Behaviour): void {
    switch (behaviour.kind) {
      case 'json': {
        const body = JSON.stringify(behaviour.body);
        res.writeHead(behaviour.status ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...behaviour.headers });
        res.end(body);
        return;
      }
      case 'text':
        res.writeHead(behaviour.status ?? 200, { 'content-type': behaviour.contentType ?? 'text/plain', 'content-length': Buffer.byteLength(behaviour.body) });
        res.end(behaviour.body);
        return;
      case 'hang':
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/json', ...(behaviour.contentLength ? { 'content-length': String(behaviour.bytes) } : {}) });
        const prefix = JSON.stringify({ ...behaviour.json, padding: '' }).slice(0, -2);
        const chunk = Buffer.alloc(64 * 1024, 'a');
        let remaining = behaviour.bytes - Buffer.byteLength(prefix) - 2;
        res.write(prefix);
        const pump = (): void => {
          while (remaining > 0 && !res.destroyed) {
            const size = Math.min(chunk.length, remaining);
            remaining -= size;
            if (!res.write(size === chunk.length ? chunk : chunk.subarray(0, size))) {
              res.once('drain', pump);
              return;
            }
          }
          if (!res.destroyed) res.end('"}');
        };
        pump();
        return;
      }
      case 'trickle': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        const timer = setInterval(() => {
          if (res.destroyed) clearInterval(timer);
          else res.write(' ');
        }, behaviour.everyMs);
        timers.add(timer);
        res.once('close', () => clearInterval(timer));
        return;
      }
      case 'redirect':
        res.writeHead(behaviour.status, { location: behaviour.location, 'content-length': '0' });
        res.end();
        return;
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    on: (path, behaviour) => void behaviours.set(path, behaviour),
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback URL nothing listens on (the port was bound, then released). */
export async function refusedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
