/**
 * The shared ZITADEL key-file reader, through both of its users: introspection's
 * `private_key_jwt` (an API application key) and the client's JWT profile grant (a
 * service-user key). Whatever string is given where a path goes, the options error never
 * contains the private key — not when the string is the file's JSON text (an environment
 * variable holding it) or the PEM itself.
 */
import { ResourceServerOptionsError } from '../../../lib/core/errors.js';
import { resolveOptions } from '../../../lib/core/options.js';
import type { ResourceServerOptions } from '../../../lib/core/options.js';
import { createTokenSource } from '../../../lib/client/index.js';
import { otherRsaKey } from '../../support/test-keys.js';

const pem = otherRsaKey(0).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const body = pem.split('\n').slice(1, -2).join('');
const application = { type: 'application', keyId: '1', key: pem, appId: '2', clientId: 'orders-api@acme' };
const serviceUser = { type: 'serviceaccount', keyId: '1', key: pem, userId: '3' };

function introspectionError(keyFile: unknown): Error {
  try {
    resolveOptions({ issuer: 'https://acme.zitadel.cloud', audience: '123', introspection: { auth: { type: 'private_key_jwt', keyFile } } } as ResourceServerOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(ResourceServerOptionsError);
    return error as Error;
  }
  throw new Error('expected the key file to be refused');
}

function clientError(keyFile: unknown): Error {
  try {
    createTokenSource({ issuer: 'https://acme.zitadel.cloud', credentials: { type: 'jwt_profile', keyFile: keyFile as string } });
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the key file to be refused');
}

const secretParts = [pem.slice(40, 100), body.slice(0, 60), body.slice(-60)];

describe.each([
  ['introspection private_key_jwt', introspectionError, application, /^"introspection\.auth\.keyFile" option must be a API application key file/],
  ['client JWT profile grant', clientError, serviceUser, /^"credentials\.keyFile" option must be a service-user key file/],
] as const)('%s: a key file given as a string that is not a path', (_label, errorOf, file, message) => {
  it.each([
    ["the file's JSON text", () => JSON.stringify(file)],
    ["the file's JSON text, pretty-printed", () => `\n${JSON.stringify(file, null, 2)}\n`],
    ['the PEM itself', () => pem],
    ['the PEM body without its armour', () => body],
  ])('%s: refused, naming the option, without the key', (_what, value) => {
    const error = errorOf(value());
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('PRIVATE KEY');
    for (const part of secretParts) expect(error.message).not.toContain(part);
  });
});

it('a "type" that names an Object.prototype member gets no hint made of it', () => {
  const error = introspectionError({ ...application, type: 'constructor' });
  expect(error.message).toBe('"introspection.auth.keyFile" option must have "type": "application"');
});
