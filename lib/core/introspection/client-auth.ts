import { signJwtAssertion } from '../kernel/jwt-assertion.js';
import type { LoadedApplicationKey } from './key-file.js';

/** An introspection request before it is sent: client authentication decorates it. */
export interface ClientAuthRequest {
  readonly headers: Record<string, string>;
  readonly form: URLSearchParams;
}

/** A client authentication strategy (decorates the request). */
export type ClientAuth = (request: ClientAuthRequest) => Promise<void>;

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * `client_secret_basic` (RFC 6749 §2.3.1): id and secret are form-urlencoded before
 * base64 — ZITADEL client ids contain `@`, which must travel as `%40`.
 */
export function clientSecretBasic(clientId: string, clientSecret: string): ClientAuth {
  const credentials = Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64');
  const header = `Basic ${credentials}`;
  return async (request) => {
    request.headers.authorization = header;
  };
}

/**
 * `private_key_jwt` (RFC 7523 §2.2) with a ZITADEL API-application key: the assertion of
 * {@link signJwtAssertion} with `iss` = `sub` = the application's client id.
 */
export function privateKeyJwt(key: LoadedApplicationKey, audience: string, now: () => number): ClientAuth {
  return async (request) => {
    const assertion = await signJwtAssertion({ keyId: key.keyId, privateKey: key.privateKey, subject: key.clientId, audience, now });
    request.form.set('client_assertion_type', ASSERTION_TYPE);
    request.form.set('client_assertion', assertion);
  };
}

function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}
