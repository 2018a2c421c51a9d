import { ResourceServerOptionsError } from '../errors.js';
import { readZitadelKeyFile } from '../kernel/zitadel-key-file.js';
import type { LoadedZitadelKey } from '../kernel/zitadel-key-file.js';

/**
 * A ZITADEL API-application key file, as downloaded from the console
 * (`{"type":"application","keyId","key","appId","clientId"}`; `key` is a PKCS#1 PEM).
 */
export interface ApplicationKeyFile {
  readonly type: 'application';
  readonly keyId: string;
  readonly key: string;
  readonly appId: string;
  readonly clientId: string;
}

/** The parts of a key file the client assertion needs, with the key imported. */
export type LoadedApplicationKey = LoadedZitadelKey<'clientId'>;

const APPLICATION_KEY = {
  type: 'application',
  label: 'API application key file',
  idField: 'clientId',
  otherTypes: { serviceaccount: 'this is a service user key; introspection needs the key of an API application' },
} as const;

/**
 * Reads and checks an application key file (an object, or a path to the JSON file).
 * Throws {@link ResourceServerOptionsError} naming what is wrong — never the key.
 */
export function loadApplicationKey(source: ApplicationKeyFile | string, option: string): LoadedApplicationKey {
  return readZitadelKeyFile(source, option, APPLICATION_KEY, (message) => {
    throw new ResourceServerOptionsError(message);
  });
}
