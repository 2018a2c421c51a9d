import { LogCapture } from '../../support/log-capture.js';

/**
 * What must never appear in a response, a log line or an audit event: stack frames,
 * source paths, PEM armour. Secrets (tokens, key parameters) are checked separately.
 */
const FORBIDDEN_PATTERNS: readonly [string, RegExp][] = [
  ['a stack frame', /^\s*at\s+\S.*(?:\(|\s)\S*:\d+:\d+\)?\s*$/m],
  ['a stack frame', /\bat (?:async )?[\w$.<>]+ \((?:file:|node:|\/)/],
  ['a source path', /(?:\/work\/|node_modules\/|file:\/\/|\/lib\/core\/|\.ts:\d+)/],
  ['PEM armour', /-----BEGIN [A-Z ]+-----/],
];

/** Secrets shorter than this are not searched for (they would match by chance). */
const MIN_SECRET_LENGTH = 10;

/**
 * Returns a description of every leak found in `text`: any of `secrets` (whole, and for
 * JWT-shaped ones every segment of 24+ characters), a stack frame, a source path or PEM.
 */
export function findLeaks(text: string, secrets: Iterable<string>): string[] {
  const found: string[] = [];
  for (const [what, pattern] of FORBIDDEN_PATTERNS) {
    const match = pattern.exec(text);
    if (match) found.push(`${what}: ${JSON.stringify(match[0].slice(0, 120))}`);
  }
  for (const secret of secrets) {
    for (const needle of needles(secret)) {
      if (text.includes(needle)) {
        found.push(`a secret (${needle.slice(0, 12)}…, ${needle.length} chars)`);
        break;
      }
    }
  }
  return found;
}

function needles(secret: string): string[] {
  if (secret.length < MIN_SECRET_LENGTH) return [];
  const list = [secret];
  if (secret.includes('.')) {
    for (const segment of secret.split('.')) if (segment.length >= 24) list.push(segment);
  }
  return list;
}

/** Everything a response showed: status line, every header, the body. */
export function responseText(response: { status: number; headers: Record<string, unknown>; text: string }): string {
  return `${response.status}\n${JSON.stringify(response.headers)}\n${response.text}`;
}

/**
 * A {@link LogCapture} that keeps every argument (Nest's logger passes the stack as the
 * second argument of `error()`; the plain capture keeps the first only).
 */
export class FullLogCapture extends LogCapture {
  override warn(message: string, ...rest: unknown[]): void {
    super.warn([message, ...rest].map(String).join(' '));
  }
  override error(message: string, ...rest: unknown[]): void {
    super.error([message, ...rest].map(String).join(' '));
  }
  override log(message: unknown, ...rest: unknown[]): void {
    super.log([message, ...rest].map(String).join(' '));
  }
  override debug(message: unknown, ...rest: unknown[]): void {
    super.debug([message, ...rest].map(String).join(' '));
  }
  override verbose(message: unknown, ...rest: unknown[]): void {
    super.verbose([message, ...rest].map(String).join(' '));
  }
  override fatal(message: unknown, ...rest: unknown[]): void {
    super.fatal([message, ...rest].map(String).join(' '));
  }
}
