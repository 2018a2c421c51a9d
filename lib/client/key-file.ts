import { createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { invalidOption } from './errors.js';

/**
 * A ZITADEL service-user key file, as downloaded from the console (service user → Keys):
 * `{"type":"serviceaccount","keyId","key","userId"}`; `key` is a PKCS#1 PEM RSA key.
 */
export interface ServiceAccountKeyFile {
  readonly type: 'serviceaccount';
  readonly keyId: string;
  /** PKCS#1 PEM, `-----BEGIN RSA PRIVATE KEY-----` (PKCS#8 is read too). */
  readonly key: string;
  readonly userId: string;
}

/** The parts of a service-user key file the JWT profile grant needs, with the key imported. */
export interface LoadedServiceAccountKey {
  readonly keyId: string;
  readonly userId: string;
  readonly privateKey: KeyObject;
}

/**
 * Reads and checks a service-user key file (an object, or a path to the JSON file).
 * Throws `TokenSourceError` `ERR_INVALID_OPTIONS` naming `option` and what is wrong; the
 * message never contains the key.
 */
export function loadServiceAccountKey(source: ServiceAccountKeyFile | string, option: string): LoadedServiceAccountKey {
  let file: unknown = source;
  if (typeof source === 'string') {
    if (source.trim() === '') invalidOption(`"${option}" option must be a service-user key file: the parsed JSON object or a path to it`);
    try {
      file = JSON.parse(readFileSync(source, 'utf8'));
    } catch (cause) {
      const reason = (cause as { code?: unknown }).code;
      invalidOption(`"${option}" option could not be read from ${source} (${typeof reason === 'string' ? reason : 'not valid JSON'})`);
    }
  }
  const value = file as Partial<Record<keyof ServiceAccountKeyFile, unknown>> | null;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    invalidOption(`"${option}" option must be a ZITADEL service-user key file (the parsed JSON object or a path to it)`);
  }
  if (value.type !== 'serviceaccount') {
    const hint =
      value.type === 'application'
        ? ': this is an API application key (used for introspection); the JWT profile grant needs a key of the service user itself (service user → Keys in the console)'
        : '';
    invalidOption(`"${option}" option must have "type": "serviceaccount"${hint}`);
  }
  for (const field of ['keyId', 'key', 'userId'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '') {
      invalidOption(`"${option}" option is missing "${field}"`);
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(value.key as string);
  } catch {
    invalidOption(`"${option}.key" is not a PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') invalidOption(`"${option}.key" must be an RSA key (RS256)`);
  return Object.freeze({ keyId: value.keyId as string, userId: value.userId as string, privateKey });
}
