/** Where the package reports operator-facing problems (never tokens). */
export interface Logger {
  warn(message: string): void;
  error(message: string): void;
}

/** Default logger: `console.warn` / `console.error` with a package prefix. */
export const consoleLogger: Logger = Object.freeze({
  warn: (message: string) => console.warn(`[zitadel-resource-server] ${message}`),
  error: (message: string) => console.error(`[zitadel-resource-server] ${message}`),
});

/**
 * Logs a message at most once per interval per key, so an outage or a misconfiguration
 * produces one line per interval, not one per request.
 */
export class ThrottledLog {
  readonly #last = new Map<string, number>();
  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  warn(key: string, message: string): void {
    if (this.#due(key)) this.logger.warn(message);
  }

  error(key: string, message: string): void {
    if (this.#due(key)) this.logger.error(message);
  }

  #due(key: string): boolean {
    const now = this.now();
    const last = this.#last.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.#last.set(key, now);
    return true;
  }
}
