import { createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ResourceServerOptionsError } from '../errors.js';

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
export interface LoadedApplicationKey {
  readonly keyId: string;
  readonly clientId: string;
  readonly privateKey: KeyObject;
}

/**
 * Reads and checks an application key file (an object, or a path to the JSON file).
 * Throws {@link ResourceServerOptionsError} naming what is wrong — never the key.
 */
export function loadApplicationKey(source: ApplicationKeyFile | string, option: string): LoadedApplicationKey {
  let file: unknown = source;
  if (typeof source === 'string') {
    try {
      file = JSON.parse(readFileSync(source, 'utf8'));
    } catch (cause) {
      const reason = (cause as { code?: string }).code ?? 'not valid JSON';
      throw new ResourceServerOptionsError(`"${option}" could not be read from ${source} (${reason})`);
    }
  }
  const value = file as Partial<Record<keyof ApplicationKeyFile, unknown>> | null;
  if (value === null || typeof value !== 'object') {
    throw new ResourceServerOptionsError(`"${option}" must be a ZITADEL application key file (object or path)`);
  }
  if (value.type !== 'application') {
    const hint = value.type === 'serviceaccount' ? ': this is a service user key; introspection needs the key of an API application' : '';
    throw new ResourceServerOptionsError(`"${option}" must have "type": "application"${hint}`);
  }
  for (const field of ['keyId', 'key', 'clientId'] as const) {
    if (typeof value[field] !== 'string' || value[field] === '') {
      throw new ResourceServerOptionsError(`"${option}" is missing "${field}"`);
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(value.key as string);
  } catch {
    throw new ResourceServerOptionsError(`"${option}.key" is not a PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new ResourceServerOptionsError(`"${option}.key" must be an RSA key`);
  }
  return { keyId: value.keyId as string, clientId: value.clientId as string, privateKey };
}
