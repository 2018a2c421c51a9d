import { InvalidTokenError, IssuerUnavailableError } from '../errors.js';
import type { Principal } from '../principal.js';
import type { PipelineContext, Step } from './context.js';
import type { DecisionState } from './state.js';

/** Checks the revocation list, on every request (a cached verdict too). */
export const checkRevocation: Step = (context, state) => revocationCheck(context, state, state.principal!, state.route.activeToken);

/**
 * Asks the revocation list about the token and its principal. When the list cannot be
 * read, `failClosed` (routes that demand an active token) or `revocationUnavailable:
 * 'fail-closed'` answers 503; otherwise a warning (once per interval) and the request goes on.
 */
export function revocationCheck(context: PipelineContext, state: DecisionState, principal: Principal, failClosed: boolean): void | Promise<void> {
  const list = context.options.revocation;
  if (list === undefined) return undefined;
  const iat = principal.claims.iat;
  const jti = principal.claims.jti;
  const closed = failClosed || context.options.revocationUnavailable === 'fail-closed';
  let answer: boolean | Promise<boolean>;
  try {
    answer = list.isRevoked({
      tokenHash: state.hash,
      jti: typeof jti === 'string' ? jti : undefined,
      subject: principal.subject,
      issuedAt: typeof iat === 'number' ? iat : undefined,
    });
  } catch (cause) {
    return unreadable(context, closed, cause);
  }
  if (answer instanceof Promise) {
    return answer.then(
      (revoked) => judge(revoked),
      (cause: unknown) => unreadable(context, closed, cause),
    );
  }
  return judge(answer);
}

function judge(revoked: boolean): undefined {
  if (revoked) throw new InvalidTokenError('ERR_TOKEN_REVOKED', 'The token has been revoked');
  return undefined;
}

function unreadable(context: PipelineContext, closed: boolean, cause: unknown): undefined {
  const list = context.options.revocation;
  let endpoint: string | undefined;
  try {
    endpoint = list?.health?.().endpoint;
  } catch {
    endpoint = undefined;
  }
  const failClosed = context.options.revocationUnavailable === 'fail-closed';
  context.operations.upstream.report({
    kind: 'revocation',
    subject: 'The revocation list cannot be read',
    endpoint,
    cause,
    level: closed ? 'error' : 'warn',
    consequence: failClosed
      ? 'every request gets 503 with Retry-After: 1 until it can be read (revocationUnavailable: "fail-closed")'
      : 'requests go on without it (revocationUnavailable: "fail-open"), except on routes that demand an active token, which get 503 with Retry-After: 1',
  });
  if (closed) throw new IssuerUnavailableError('The revocation list is unavailable', { cause });
  return undefined;
}
