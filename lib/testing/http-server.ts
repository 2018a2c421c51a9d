/**
 * A `node:http` server on 127.0.0.1 that can be taken down on purpose: refuse connections,
 * hang, answer 500, answer garbage, answer late. It knows nothing of OAuth; a handler
 * turns each request into a reply.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How the issuer is unavailable; see {@link TestIssuer.goDown}. */
export type OutageMode = 'refuse' | 'hang' | 'error' | 'garbage';

/** Every {@link OutageMode}. */
export const OUTAGE_MODES: readonly OutageMode[] = Object.freeze(['refuse', 'hang', 'error', 'garbage']);

/** A received request, body read in full. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What to answer. */
export interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Turns a request into a reply. */
export type RequestHandler = (request: ReceivedRequest) => Reply | Promise<Reply>;

/** Largest request body read, in bytes. */
export const MAX_BODY_BYTES = 64 * 1024;

const HOST = '127.0.0.1';

/** Body of `garbage` answers: served as `application/json`, but it is not JSON. */
export const GARBAGE_BODY = '<html><body>502 Bad Gateway</body></html> {"active": tru';

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    return '/';
  }
}

/**
 * An HTTP server with a switchable outage mode and latency.
 *
 * @example
 * ```ts
 * const server = new ControllableServer(() => ({ status: 200, body: 'ok' }), () => {});
 * const port = await server.start(0);
 * await server.goDown('refuse');   // connections now refused
 * await server.comeBack();         // listening again on `port`
 * await server.close();
 * ```
 */
export class ControllableServer {
  readonly #server: Server;
  readonly #handler: RequestHandler;
  readonly #onReceived: (path: string) => void;
  readonly #sockets = new Set<Socket>();
  readonly #hung = new Set<ServerResponse>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #mode: OutageMode | undefined;
  #latency = 0;
  #port = 0;
  #listening = false;
  #closed = false;

  /**
   * @param handler answers requests while the server is up.
   * @param onReceived called with the path of every request received, whatever the mode.
   */
  constructor(handler: RequestHandler, onReceived: (path: string) => void) {
    this.#handler = handler;
    this.#onReceived = onReceived;
    this.#server = createServer((request, response) => {
      this.#onRequest(request, response);
    });
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
  }

  /** Port the server listens (or listened) on. */
  get port(): number {
    return this.#port;
  }

  /** Current outage mode, `undefined` when up. */
  get mode(): OutageMode | undefined {
    return this.#mode;
  }

  /** Starts listening on 127.0.0.1:`port` (0 for a random port); resolves with the port. */
  async start(port: number): Promise<number> {
    this.#assertOpen();
    await this.#listen(port);
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('test issuer: no TCP address');
    this.#port = address.port;
    return this.#port;
  }

  /** Makes the server unavailable in `mode`. */
  async goDown(mode: OutageMode): Promise<void> {
    this.#assertOpen();
    if (!OUTAGE_MODES.includes(mode)) {
      throw new TypeError(`goDown "mode" must be one of ${OUTAGE_MODES.join(', ')}; got ${JSON.stringify(mode)}`);
    }
    if (mode !== 'hang') this.#releaseHung();
    this.#mode = mode;
    if (mode === 'refuse') {
      await this.#stopListening();
    } else if (!this.#listening) {
      await this.#listen(this.#port);
    }
  }

  /** Ends any outage: hung requests are dropped, and the server listens again on the same port. */
  async comeBack(): Promise<void> {
    this.#assertOpen();
    this.#releaseHung();
    this.#mode = undefined;
    if (!this.#listening) await this.#listen(this.#port);
  }

  /** Delays every answer by `ms` milliseconds (0 turns the delay off). */
  setLatency(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new TypeError('setLatency "ms" must be a non-negative finite number');
    }
    this.#latency = ms;
  }

  /** Stops the server and destroys every connection, hung or idle. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#releaseHung();
    await this.#stopListening();
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the test issuer is closed');
  }

  async #listen(port: number): Promise<void> {
    // The port of a just-closed listener is normally free at once; retry briefly in case not.
    for (let attempt = 0; ; attempt += 1) {
      try {
        await new Promise<void>((resolve, reject) => {
          const onError = (error: Error): void => reject(error);
          this.#server.once('error', onError);
          this.#server.listen(port, HOST, () => {
            this.#server.off('error', onError);
            resolve();
          });
        });
        this.#listening = true;
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE' || port === 0 || attempt >= 40) throw error;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
  }

  async #stopListening(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (!this.#listening) {
      this.#destroySockets();
      return;
    }
    this.#listening = false;
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#destroySockets();
    });
    // Clients in this process hold the other ends of the destroyed connections. Give their
    // event loop turns to see the close, so that the next request opens a new connection
    // (and gets ECONNREFUSED) instead of failing on a stale pooled socket.
    await settle();
  }

  #destroySockets(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  #releaseHung(): void {
    for (const response of this.#hung) response.socket?.destroy();
    this.#hung.clear();
  }

  #onRequest(request: IncomingMessage, response: ServerResponse): void {
    const path = pathOf(request.url);
    this.#onReceived(path);
    if (this.#mode === 'hang') {
      this.#hung.add(response);
      response.once('close', () => this.#hung.delete(response));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('error', () => response.destroy());
    request.on('end', () => {
      if (tooLarge) {
        this.#send(response, jsonReply(413, { error: 'invalid_request', error_description: 'body too large' }));
        return;
      }
      const received: ReceivedRequest = {
        method: request.method ?? 'GET',
        path,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      void this.#answer(received).then((reply) => this.#send(response, reply));
    });
  }

  async #answer(request: ReceivedRequest): Promise<Reply> {
    switch (this.#mode) {
      case 'error':
        return jsonReply(500, { error: 'server_error', error_description: 'the test issuer is down (error mode)' });
      case 'garbage':
        return { status: 200, headers: { 'content-type': 'application/json' }, body: GARBAGE_BODY };
      default:
        try {
          return await this.#handler(request);
        } catch {
          return jsonReply(500, { error: 'server_error' });
        }
    }
  }

  #send(response: ServerResponse, reply: Reply): void {
    const write = (): void => {
      if (response.destroyed || response.writableEnded) return;
      response.writeHead(reply.status, { 'content-length': Buffer.byteLength(reply.body), ...reply.headers });
      response.end(reply.body);
    };
    if (this.#latency <= 0) {
      write();
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      write();
    }, this.#latency);
    this.#timers.add(timer);
  }
}

/** Waits a few event-loop turns (I/O included). */
function settle(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(() => setImmediate(() => setImmediate(resolve)));
  });
}

/** A JSON reply. */
export function jsonReply(status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(value),
  };
}
