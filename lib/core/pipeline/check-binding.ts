import { InvalidTokenError } from '../errors.js';
import type { BearerRequest } from '../bearer.js';
import type { Principal } from '../principal.js';
import type { Step } from './context.js';
import type { DecisionState } from './state.js';

/**
 * Sender-constrained tokens (RFC 7800 `cnf`). A DPoP-bound token (`cnf.jkt`, RFC 9449 §6)
 * must come with the DPoP scheme and a proof by the bound key; sent as a bearer token it is
 * refused, whether or not DPoP is enabled, on every request (a cached verdict too). A token
 * bound by any other confirmation method (`x5t#S256`, RFC 8705 certificate binding, …) is
 * refused: this package cannot check it, so accepting it would make it a bearer token.
 */
export const checkBinding: Step = (context, state) => {
  const principal = state.principal!;
  const bound = boundKey(principal);
  if (state.scheme === 'bearer') {
    if (bound !== undefined) throw new InvalidTokenError('ERR_DPOP_BINDING_INVALID', 'A DPoP-bound token must be sent with the DPoP scheme and a proof');
    return undefined;
  }
  if (bound === undefined) throw new InvalidTokenError('ERR_DPOP_BINDING_INVALID', 'The token is not DPoP-bound; send it as a Bearer token');
  if (state.proofKey !== undefined) return matchProofKey(state, bound);
  // htu is checked against dpop.origins (the Host only selects one), and the proof id is
  // remembered only once the proof's key is the token's binding (issue 15, items 1-3).
  const http = state.request.http;
  const host = http.headers.host;
  // The target as the client sent it: Express rewrites `url` below a mount point, not `originalUrl`.
  const path = http.originalUrl ?? http.url ?? '/';
  return context.dpop!
    .verify(
      { proofs: headerValues(http, 'dpop'), method: http.method ?? 'GET', path, host: typeof host === 'string' ? host : undefined, token: state.token },
      bound,
    )
    .then((thumbprint) => {
      state.proofKey = thumbprint;
    });
};

/** Checks the binding of a principal learned later in the same decision (a fresh introspection). */
export function checkBindingOf(state: DecisionState, principal: Principal): void {
  const bound = boundKey(principal);
  if (state.scheme === 'bearer') {
    if (bound !== undefined) throw new InvalidTokenError('ERR_DPOP_BINDING_INVALID', 'A DPoP-bound token must be sent with the DPoP scheme and a proof');
    return;
  }
  if (bound === undefined) throw new InvalidTokenError('ERR_DPOP_BINDING_INVALID', 'The token is not DPoP-bound; send it as a Bearer token');
  matchProofKey(state, bound);
}

function matchProofKey(state: DecisionState, bound: string): undefined {
  if (state.proofKey !== bound) throw new InvalidTokenError('ERR_DPOP_BINDING_INVALID', 'The DPoP proof key does not match the token binding');
  return undefined;
}

/**
 * `cnf.jkt` of a DPoP-bound token, from JWT claims or an introspection answer; `undefined`
 * for an unbound token. Any other confirmation member is refused as unverifiable.
 */
function boundKey(principal: Principal): string | undefined {
  const cnf = principal.claims.cnf;
  if (cnf === undefined) return undefined;
  if (cnf === null || typeof cnf !== 'object' || Array.isArray(cnf)) throw new InvalidTokenError('ERR_CLAIM_INVALID', 'The token has a malformed cnf claim');
  let jkt: unknown;
  for (const [member, value] of Object.entries(cnf)) {
    if (member !== 'jkt') {
      const what = member === 'x5t#S256' ? 'a client certificate (cnf x5t#S256, RFC 8705)' : `cnf ${member}`;
      throw new InvalidTokenError('ERR_TOKEN_UNSUPPORTED', `The token is bound to ${what}, which this API cannot check`);
    }
    jkt = value;
  }
  if (jkt === undefined) return undefined;
  if (typeof jkt !== 'string' || jkt === '') throw new InvalidTokenError('ERR_CLAIM_INVALID', 'The token has a malformed cnf.jkt claim');
  return jkt;
}

function headerValues(request: BearerRequest, name: string): readonly string[] {
  const distinct = request.headersDistinct?.[name];
  if (distinct) return distinct;
  const value = request.headers[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
