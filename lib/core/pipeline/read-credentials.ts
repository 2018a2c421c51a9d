import { resolveCredentials } from '../bearer.js';
import { InvalidTokenError } from '../errors.js';
import { hashToken } from '../token-hash.js';
import type { Step } from './context.js';

/**
 * Finds the one access token of the request (RFC 6750 §2; `Authorization: DPoP` too when
 * DPoP is enabled) and hashes it. The token's own syntax is checked by verification, after
 * the cache lookup: a cached verdict exists only for a token that passed it.
 */
export const readCredentials: Step = (context, state) => {
  const dpop = context.options.dpop;
  const credentials = resolveCredentials(state.request.http, context.options.bearerMethods, dpop !== undefined, false);
  if (credentials.scheme === 'bearer' && dpop?.required) {
    throw new InvalidTokenError('ERR_DPOP_BINDING_INVALID', 'This API accepts DPoP-bound tokens only');
  }
  state.token = credentials.token;
  state.scheme = credentials.scheme;
  state.hash = hashToken(credentials.token);
};
