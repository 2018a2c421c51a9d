import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createTokenSource, projectAudienceScope, TokenSourceError } from '../../lib/client/index.js';
import type { TokenSourceOptions } from '../../lib/client/index.js';
import { otherRsaKey } from '../support/test-keys.js';

const ISSUER = 'https://acme.zitadel.cloud';
const rsaPem = otherRsaKey(0).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const SERVICE_KEY = { type: 'serviceaccount' as const, keyId: '320000000000000001', key: rsaPem, userId: '310000000000000001' };
const CLIENT = { type: 'client_credentials' as const, clientId: 'reporter@acme', clientSecret: 's3cret' };

function optionsError(options: unknown): TokenSourceError {
  try {
    createTokenSource(options as TokenSourceOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(TokenSourceError);
    expect((error as TokenSourceError).code).toBe('ERR_INVALID_OPTIONS');
    return error as TokenSourceError;
  }
  throw new Error('expected createTokenSource to throw');
}

describe('createTokenSource options', () => {
  it('accepts both credential types and fetches nothing at construction', () => {
    let calls = 0;
    const fetch = async () => {
      calls += 1;
      return new Response('{}');
    };
    createTokenSource({ issuer: ISSUER, credentials: { type: 'jwt_profile', keyFile: SERVICE_KEY }, fetch });
    createTokenSource({ issuer: 'http://127.0.0.1:8080', credentials: CLIENT, fetch });
    expect(calls).toBe(0);
  });

  it.each([
    [{ credentials: CLIENT }, /"issuer" option must be a non-empty string/],
    [{ issuer: 'http://acme.zitadel.cloud', credentials: CLIENT }, /"issuer" option must be an https: URL/],
    [{ issuer: 'https://user:pw@acme.zitadel.cloud', credentials: CLIENT }, /"issuer" option must be an https: URL/],
    [{ issuer: ISSUER, tokenEndpoint: 'http://acme.zitadel.cloud/oauth/v2/token', credentials: CLIENT }, /"tokenEndpoint" option/],
    [{ issuer: ISSUER }, /"credentials" option is required/],
    [{ issuer: ISSUER, credentials: { type: 'password' } }, /"credentials.type" option must be "jwt_profile" or "client_credentials"/],
    [{ issuer: ISSUER, credentials: { ...CLIENT, clientId: '' } }, /"credentials.clientId" option/],
    [{ issuer: ISSUER, credentials: { ...CLIENT, clientSecret: undefined } }, /"credentials.clientSecret" option/],
    [{ issuer: ISSUER, credentials: { type: 'jwt_profile' } }, /"credentials.keyFile" option is required/],
    [{ issuer: ISSUER, credentials: CLIENT, scope: ['openid', 'two words'] }, /"scope" option must hold scope tokens/],
    [{ issuer: ISSUER, credentials: CLIENT, scope: ['openid', ''] }, /"scope" option/],
    [{ issuer: ISSUER, credentials: CLIENT, scope: 42 }, /"scope" option must be a string or a list of strings/],
    [{ issuer: ISSUER, credentials: CLIENT, refreshSkew: -1 }, /"refreshSkew" option must be an integer from 0 to 3600000 \(got -1\)/],
    [{ issuer: ISSUER, credentials: CLIENT, refreshSkew: '60s' }, /"refreshSkew" option must be an integer/],
    [{ issuer: ISSUER, credentials: CLIENT, timeout: 10 }, /"timeout" option must be an integer from 100 to 60000/],
    [{ issuer: ISSUER, credentials: CLIENT, fetch: 'fetch' }, /"fetch" option must be a function/],
    [{ issuer: ISSUER, credentials: CLIENT, now: 1 }, /"now" option must be a function/],
    [{ issuer: ISSUER, credentials: CLIENT, logger: {} }, /"logger" option must have a warn\(\) method/],
  ])('%j is refused', (options, message) => {
    expect(optionsError(options).message).toMatch(message);
  });

  it('never puts the client secret into an options error', () => {
    const error = optionsError({ issuer: 'ftp://x', credentials: CLIENT });
    expect(error.message).not.toContain(CLIENT.clientSecret);
  });
});

describe('service-user key file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'zrs-client-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function keyFileError(keyFile: unknown): TokenSourceError {
    return optionsError({ issuer: ISSUER, credentials: { type: 'jwt_profile', keyFile } });
  }

  it('reads a path', () => {
    const path = join(dir, 'key.json');
    writeFileSync(path, JSON.stringify(SERVICE_KEY));
    expect(() => createTokenSource({ issuer: ISSUER, credentials: { type: 'jwt_profile', keyFile: path } })).not.toThrow();
  });

  it('an API application key instead of a service-user key: names the option and says which key is needed', () => {
    const error = keyFileError({ type: 'application', keyId: '1', key: rsaPem, appId: '2', clientId: 'orders-api@acme' });
    expect(error.message).toMatch(/^"credentials.keyFile" option must have "type": "serviceaccount": this is an API application key/);
    expect(error.message).not.toContain('PRIVATE KEY');
  });

  it.each([
    ['a missing file', () => join(dir, 'nope.json'), /"credentials.keyFile" option could not be read from .*nope.json \(ENOENT\)/],
    ['a file that is not JSON', () => {
      const path = join(dir, 'broken.json');
      writeFileSync(path, `{"type":"serviceaccount","key":"${rsaPem.slice(0, 60)}`);
      return path;
    }, /could not be read from .*broken.json \(not valid JSON\)/],
    ['an empty path', () => '', /"credentials.keyFile" option must be a service-user key file/],
    ['an array', () => [], /must be a ZITADEL service-user key file/],
    ['no type', () => ({ ...SERVICE_KEY, type: undefined }), /must have "type": "serviceaccount"$/],
    ['no userId', () => ({ ...SERVICE_KEY, userId: '' }), /"credentials.keyFile" option is missing "userId"/],
    ['no keyId', () => ({ ...SERVICE_KEY, keyId: undefined }), /is missing "keyId"/],
    ['a key that is not PEM', () => ({ ...SERVICE_KEY, key: 'not a pem' }), /"credentials.keyFile.key" is not a PEM private key/],
    ['an EC key', () => ({
      ...SERVICE_KEY,
      key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    }), /"credentials.keyFile.key" must be an RSA key/],
  ])('%s is refused at construction', (_label, keyFile, message) => {
    const error = keyFileError(keyFile());
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('PRIVATE KEY');
    expect(error.message).not.toContain(rsaPem.slice(40, 80));
  });
});

describe('projectAudienceScope', () => {
  it('builds ZITADEL’s project audience scope', () => {
    expect(projectAudienceScope('294800000000000001')).toBe('urn:zitadel:iam:org:project:id:294800000000000001:aud');
  });

  it.each(['', 'a b', 42])('refuses %j', (projectId) => {
    expect(() => projectAudienceScope(projectId as string)).toThrow(TokenSourceError);
  });
});
