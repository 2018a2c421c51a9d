import { createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * What one kind of ZITADEL key file holds besides `keyId` and `key`: the service user's
 * `userId` (`{"type":"serviceaccount","keyId","key","userId"}`, service user → Keys) or the
 * API application's `clientId` (`{"type":"application","keyId","key","appId","clientId"}`,
 * API application → Keys). `key` is a PKCS#1 PEM RSA key in both (PKCS#8 is read too).
 */
export interface ZitadelKeyFileKind<Type extends string, Id extends string> {
  readonly type: Type;
  /** What the file is called in messages: "service-user key file", "API application key file". */
  readonly label: string;
  /** The field naming who signs with the key (the assertion's `iss` and `sub`). */
  readonly idField: Id;
  /** What to tell someone who passed the other kind of key file, keyed by its `type`. */
  readonly otherTypes: Readonly<Record<string, string>>;
}

/** The parts of a key file an RFC 7523 assertion needs, with the key imported. */
export type LoadedZitadelKey<Id extends string> = { readonly keyId: string; readonly privateKey: KeyObject } & {
  readonly [K in Id]: string;
};

/**
 * Reads and checks a ZITADEL key file (the parsed JSON object, or a path to the file).
 * Every problem is reported through `fail(message)` (which throws the caller's own option
 * error), naming `option` and what to fix; no message ever contains the key.
 */
export function readZitadelKeyFile<Type extends string, Id extends string>(
  source: unknown,
  option: string,
  kind: ZitadelKeyFileKind<Type, Id>,
  fail: (message: string) => never,
): LoadedZitadelKey<Id> {
  let file: unknown = source;
  if (typeof source === 'string') {
    if (source.trim() === '') fail(`"${option}" option must be a ${kind.label}: the parsed JSON object or a path to it`);
    // The file's contents (an environment variable holding the JSON) or the PEM itself, given
    // where a path goes: refused without echoing it, since it holds the private key.
    if (!looksLikePath(source)) {
      fail(`"${option}" option must be a ${kind.label}: the parsed JSON object or a path to it; the string given is not a file path (pass JSON.parse(contents) for the file's contents)`);
    }
    try {
      file = JSON.parse(readFileSync(source, 'utf8'));
    } catch (cause) {
      const reason = (cause as { code?: unknown }).code;
      fail(`"${option}" option could not be read from ${source} (${typeof reason === 'string' ? reason : 'not valid JSON'})`);
    }
  }
  if (file === null || typeof file !== 'object' || Array.isArray(file)) {
    fail(`"${option}" option must be a ZITADEL ${kind.label} (the parsed JSON object or a path to it)`);
  }
  const value = file as Record<string, unknown>;
  if (value.type !== kind.type) {
    const hint = typeof value.type === 'string' && Object.hasOwn(kind.otherTypes, value.type) ? kind.otherTypes[value.type] : undefined;
    fail(`"${option}" option must have "type": "${kind.type}"${hint === undefined ? '' : `: ${hint}`}`);
  }
  for (const field of ['keyId', 'key', kind.idField]) {
    if (typeof value[field] !== 'string' || value[field] === '') fail(`"${option}" option is missing "${field}"`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(value.key as string);
  } catch {
    fail(`"${option}.key" is not a PEM private key`);
  }
  if (privateKey.asymmetricKeyType !== 'rsa') fail(`"${option}.key" must be an RSA key (RS256)`);
  return Object.freeze({ keyId: value.keyId as string, [kind.idField]: value[kind.idField] as string, privateKey }) as LoadedZitadelKey<Id>;
}

/**
 * A string that can be a path: one line, not JSON, no PEM armour (which a key file's
 * contents have), and not as long as a key (a PEM body without its armour).
 */
function looksLikePath(value: string): boolean {
  const text = value.trim();
  return text.length <= 1024 && !text.startsWith('{') && !/[\r\n]/.test(text) && !text.includes('-----BEGIN') && !text.includes('PRIVATE KEY');
}
