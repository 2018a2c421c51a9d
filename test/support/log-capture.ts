import type { Logger } from '../../lib/core/logger.js';

/** Records every line written to stdout/stderr and through a logger, for leak checks. */
export class LogCapture implements Logger {
  readonly lines: string[] = [];
  #restore: (() => void) | undefined;

  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }

  error(message: string): void {
    this.lines.push(`error ${message}`);
  }

  /** Nest LoggerService shape. */
  log(message: unknown): void {
    this.lines.push(`log ${String(message)}`);
  }
  debug(message: unknown): void {
    this.lines.push(`debug ${String(message)}`);
  }
  verbose(message: unknown): void {
    this.lines.push(`verbose ${String(message)}`);
  }
  fatal(message: unknown): void {
    this.lines.push(`fatal ${String(message)}`);
  }

  /** Also record process.stdout / process.stderr (still passing them through). */
  captureStdio(): void {
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const record = (chunk: unknown) => {
      this.lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    };
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
      record(chunk);
      return (out as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
      record(chunk);
      return (err as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    this.#restore = () => {
      process.stdout.write = out;
      process.stderr.write = err;
    };
  }

  restore(): void {
    this.#restore?.();
  }

  text(): string {
    return this.lines.join('\n');
  }
}

/** Runs `run` with `process.stdout.write` silenced; resolves with what was written, chunk by chunk. */
export async function silencedStdout(run: () => Promise<void>): Promise<string[]> {
  const written: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  try {
    await run();
  } finally {
    process.stdout.write = write;
  }
  return written;
}

/** The message Nest's `ConsoleLogger` (text mode) printed after `[context] ` on `line`, parsed as JSON. */
export function consoleLoggerJson(line: string, context: string): unknown {
  const prefix = `[${context}] `;
  return JSON.parse(line.slice(line.indexOf(prefix) + prefix.length));
}
