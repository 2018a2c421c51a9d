/**
 * Endpoints from the discovery document must be on the issuer's origin unless configured
 * explicitly; loopback http: only for a loopback issuer (issue 15 item 7). The refusal
 * says why, to the operator (log) and to the caller (503).
 */
import type { ResourceServerOptions } from '../../lib/core/options.js';
import { createResourceServer } from '../../lib/core/resource-server.js';
import { discoveredEndpointProblem } from '../../lib/core/url.js';
import { API_CLIENT_ID, ISSUER, PROJECT, clock, createFakeIssuer, patAnswer } from './support/fake-issuer.js';
import { zitadelPat } from './support/zitadel-tokens.js';

async function setup(document: Record<string, unknown>, options: Partial<ResourceServerOptions> = {}, issuerUrl = ISSUER) {
  const time = clock();
  const issuer = await createFakeIssuer({ now: time.now, issuer: issuerUrl });
  issuer.discovery = () => ({ body: { issuer: issuerUrl, ...document } });
  issuer.introspection = () => ({ body: patAnswer(time.now(), { iss: issuerUrl }) });
  const logs: string[] = [];
  const rs = createResourceServer({
    issuer: issuerUrl,
    audience: PROJECT,
    logger: { warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    fetch: issuer.fetch,
    now: time.now,
    introspection: { auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 'the-secret' } },
    ...options,
  } as ResourceServerOptions);
  return { rs, issuer, logs, time };
}

describe('discoveredEndpointProblem', () => {
  it.each([
    ['https://acme.zitadel.cloud/oauth/v2/keys', undefined],
    ['https://ACME.zitadel.cloud:443/oauth/v2/keys', undefined],
    ['https://keys.example.com/jwks', "is not on the issuer's origin (https://acme.zitadel.cloud)"],
    ['https://acme.zitadel.cloud:8443/keys', "is not on the issuer's origin (https://acme.zitadel.cloud)"],
    ['https://acme.zitadel.cloud.evil.example/keys', "is not on the issuer's origin (https://acme.zitadel.cloud)"],
    ['http://acme.zitadel.cloud/oauth/v2/keys', 'is not an https: URL'],
    ['http://127.0.0.1:9999/keys', 'is plain http: on loopback, which is accepted only for a loopback issuer (the issuer is https://acme.zitadel.cloud)'],
    ['http://localhost/keys', 'is plain http: on loopback, which is accepted only for a loopback issuer (the issuer is https://acme.zitadel.cloud)'],
    ['https://user:pass@acme.zitadel.cloud/keys', 'carries credentials'],
    ['/oauth/v2/keys', 'is not a URL'],
    [42, 'is missing'],
    [undefined, 'is missing'],
  ])('%j for a remote https issuer → %j', (endpoint, problem) => {
    expect(discoveredEndpointProblem(endpoint, ISSUER)).toBe(problem);
  });

  it('accepts loopback http on the origin of a loopback issuer, and nowhere else', () => {
    expect(discoveredEndpointProblem('http://127.0.0.1:8080/oauth/v2/keys', 'http://127.0.0.1:8080')).toBeUndefined();
    expect(discoveredEndpointProblem('http://127.0.0.1:9999/oauth/v2/keys', 'http://127.0.0.1:8080')).toContain("not on the issuer's origin");
    expect(discoveredEndpointProblem('http://localhost:8080/keys', 'http://127.0.0.1:8080')).toContain("not on the issuer's origin");
  });
});

describe('endpoints named by the discovery document', () => {
  it('refuses a jwks_uri on another origin: 503 saying why, no fetch there, a log line naming jwksUri', async () => {
    const { rs, issuer, logs } = await setup({ jwks_uri: 'https://attacker.example/keys', introspection_endpoint: `${ISSUER}/oauth/v2/introspect` });
    const jwt = await issuer.mintJwt();
    const error = await rs.authenticate(`Bearer ${jwt}`).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE', status: 503 });
    expect((error as Error).message).toBe("The issuer's discovery document names no usable jwks_uri: it is not on the issuer's origin (https://acme.zitadel.cloud)");
    expect(issuer.requested.some((url) => url.startsWith('https://attacker.example'))).toBe(false);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain('"https://attacker.example/keys"');
    expect(logs[0]).toContain('"jwksUri"');
  });

  it('never sends the client credentials nor a token to an introspection_endpoint on another origin', async () => {
    const { rs, issuer, logs } = await setup({ jwks_uri: `${ISSUER}/oauth/v2/keys`, introspection_endpoint: 'https://collector.example/introspect' });
    await expect(rs.authenticate(`Bearer ${zitadelPat()}`)).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE', status: 503 });
    expect(issuer.calls.introspection).toBe(0);
    expect(issuer.requested.every((url) => url.startsWith(ISSUER))).toBe(true);
    expect(logs.join('\n')).toContain('"introspection.endpoint"');
    expect(logs.join('\n')).not.toContain('the-secret');
    // JWTs still verify: the jwks_uri is fine.
    await expect(rs.authenticate(`Bearer ${await issuer.mintJwt()}`)).resolves.toMatchObject({ verifiedBy: 'jwks' });
  });

  it('does not apply the loopback http: exception to a remote https issuer', async () => {
    const { rs, issuer } = await setup({ jwks_uri: 'http://127.0.0.1:2375/keys', introspection_endpoint: 'http://localhost:6379/introspect' });
    const jwtError = await rs.authenticate(`Bearer ${await issuer.mintJwt()}`).catch((e: unknown) => e);
    expect((jwtError as Error).message).toContain('accepted only for a loopback issuer');
    await expect(rs.authenticate(`Bearer ${zitadelPat()}`)).rejects.toMatchObject({ status: 503 });
    expect(issuer.requested.filter((url) => !url.startsWith(ISSUER))).toEqual([]);
  });

  it('uses endpoints on another origin when they are configured explicitly', async () => {
    const { rs, issuer } = await setup(
      { jwks_uri: 'https://attacker.example/keys', introspection_endpoint: 'https://collector.example/introspect' },
      {
        jwksUri: 'https://keys.acme.example/jwks',
        introspection: { endpoint: 'https://introspect.acme.example/v2', auth: { type: 'client_secret_basic', clientId: API_CLIENT_ID, clientSecret: 's' } },
      },
    );
    await expect(rs.authenticate(`Bearer ${await issuer.mintJwt()}`)).resolves.toMatchObject({ verifiedBy: 'jwks' });
    await expect(rs.authenticate(`Bearer ${zitadelPat()}`)).resolves.toMatchObject({ verifiedBy: 'introspection' });
    expect(issuer.requested).toEqual(['https://keys.acme.example/jwks', 'https://introspect.acme.example/v2']);
  });

  it('accepts the endpoints of a loopback http issuer on its own origin', async () => {
    const local = 'http://127.0.0.1:8080';
    const { rs, issuer } = await setup({ jwks_uri: `${local}/oauth/v2/keys`, introspection_endpoint: `${local}/oauth/v2/introspect` }, {}, local);
    await expect(rs.authenticate(`Bearer ${await issuer.mintJwt()}`)).resolves.toMatchObject({ verifiedBy: 'jwks' });
    await expect(rs.authenticate(`Bearer ${zitadelPat()}`)).resolves.toMatchObject({ verifiedBy: 'introspection' });
  });

  it('reads the document again after the cooldown, and uses the endpoint once it is fixed', async () => {
    const { rs, issuer, time } = await setup({ jwks_uri: 'https://attacker.example/keys' });
    const jwt = await issuer.mintJwt();
    const first = await rs.authenticate(`Bearer ${jwt}`).catch((e: unknown) => e);
    expect(first).toMatchObject({ status: 503, retryAfter: 5 });
    await expect(rs.authenticate(`Bearer ${jwt}`)).rejects.toMatchObject({ status: 503 });
    expect(issuer.calls.discovery).toBe(1);
    issuer.discovery = () => ({ body: { issuer: ISSUER, jwks_uri: `${ISSUER}/oauth/v2/keys` } });
    time.advance(5000);
    await expect(rs.authenticate(`Bearer ${jwt}`)).resolves.toMatchObject({ verifiedBy: 'jwks' });
    expect(issuer.calls.discovery).toBe(2);
  });
});
