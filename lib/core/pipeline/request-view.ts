import type { IncomingMessage } from 'node:http';
import type { BearerRequest } from '../bearer.js';

/** What a framework's request adds to Node's (Express' request is both; Fastify's wraps `raw`). */
export interface FrameworkRequest {
  readonly body?: unknown;
  readonly originalUrl?: string | undefined;
  /** `http` or `https` under the framework's trust-proxy rules (a getter on Express and Fastify). */
  readonly protocol?: string | undefined;
}

/**
 * What the pipeline reads of an HTTP request, read once into an object of one shape. The
 * framework's request is a poor thing to read from on every step: Express re-prototypes
 * each request (`Object.setPrototypeOf(req, app.request)`), after which V8 gives every
 * request a map of its own, so no read of it is cached and a read of a property it lacks
 * (`otherCarriers`, a GET's `body`) walks its whole prototype chain (about 1 µs each,
 * measured). The rest is read only when asked: `headersDistinct` (Node copies every header
 * on first access) and `protocol` (trust-proxy rules) only for DPoP.
 */
export class NodeRequestView implements BearerRequest {
  // Read on every request (the token's carriers in the header and the query), so read once here.
  readonly rawHeaders: readonly string[];
  readonly url: string | undefined;
  readonly #node: IncomingMessage;
  readonly #request: FrameworkRequest;

  constructor(node: IncomingMessage, request: FrameworkRequest = node as FrameworkRequest) {
    this.#node = node;
    this.#request = request;
    this.rawHeaders = node.rawHeaders;
    this.url = node.url;
    // Read now so that Node keeps it on the socket (`_peername`): once the socket is destroyed
    // (a client that aborts while the decision waits for the issuer) it can no longer be
    // asked, and the audit event, built when the decision is recorded, would name no
    // address. One getpeername per connection; a cached read after that.
    void node.socket?.remoteAddress;
  }

  // Read when asked, always from the request: a body parser may run after protect() and
  // before a require*() that decides again (Express: an optional route, then a required one).
  get body(): unknown {
    return this.#request.body;
  }

  // Read only by some requests (DPoP, the audit event, an issuer chosen by a header).
  get headers(): IncomingMessage['headers'] {
    return this.#node.headers;
  }

  get originalUrl(): string | undefined {
    return this.#request.originalUrl;
  }

  get method(): string | undefined {
    return this.#node.method;
  }

  get headersDistinct(): Readonly<Record<string, string[] | undefined>> {
    return this.#node.headersDistinct;
  }

  get protocol(): string | undefined {
    return this.#request.protocol;
  }
}
