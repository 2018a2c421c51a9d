import { readZitadelKeyFile } from '../core/kernel/index.js';
import type { LoadedZitadelKey } from '../core/kernel/index.js';
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
export type LoadedServiceAccountKey = LoadedZitadelKey<'userId'>;

const SERVICE_ACCOUNT_KEY = {
  type: 'serviceaccount',
  label: 'service-user key file',
  idField: 'userId',
  otherTypes: {
    application:
      'this is an API application key (used for introspection); the JWT profile grant needs a key of the service user itself (service user → Keys in the console)',
  },
} as const;

/**
 * Reads and checks a service-user key file (an object, or a path to the JSON file).
 * Throws `TokenSourceError` `ERR_INVALID_OPTIONS` naming `option` and what is wrong; the
 * message never contains the key.
 */
export function loadServiceAccountKey(source: ServiceAccountKeyFile | string, option: string): LoadedServiceAccountKey {
  return readZitadelKeyFile(source, option, SERVICE_ACCOUNT_KEY, invalidOption);
}
