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
  return context.dpop!
    .verify({ proofs: headerValues(state.request.http, 'dpop'), method: state.request.http.method ?? 'GET', url: requestUrl(state.request.http), token: state.token })
    .then((thumbprint) => {
      state.proofKey = thumbprint;
      matchProofKey(state, bound);
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

/** The URL as the client addressed it: protocol from the framework, host from the Host header. */
function requestUrl(request: BearerRequest): string {
  const host = request.headers.host;
  return `${request.protocol ?? 'http'}://${typeof host === 'string' ? host : 'localhost'}${request.originalUrl ?? request.url ?? '/'}`;
}
