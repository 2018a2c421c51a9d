// Where the demo's tokens come from: the embedded dev issuer (default), or a real
// ZITADEL instance named by the environment.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DEV_PROJECT, startDevIssuer } from '../dev-issuer/index.js';
import type { DemoMethod, DemoOrgs } from './scenario.js';
import { ZitadelTokenClient, demoScope } from './service-user-tokens.js';
import type { ClientAuth, ServiceAccountKeyFile } from './service-user-tokens.js';

/** A source of service-user tokens, and the API configuration that goes with it. */
export interface Backend {
  /** One line: which authorization server. */
  readonly description: string;
  readonly issuer: string;
  readonly methods: readonly DemoMethod[];
  /** Methods left out, and why. */
  readonly skipped: readonly string[];
  readonly orgs: DemoOrgs;
  /** How the API authenticates at introspection, in words. */
  readonly introspectionAuth: string;
  /** Extra hints for `--serve` (e.g. how to mint more tokens). */
  readonly hints: (curl: (args: string) => string) => string[];
  close(): Promise<void>;
}

/**
 * Starts the embedded, ZITADEL-like dev issuer and points the API at it through the same
 * environment variables a real deployment sets; the API application key file is written
 * to a fresh temp directory (mode 0600) and deleted at exit.
 */
export async function devIssuerBackend(): Promise<Backend> {
  const idp = await startDevIssuer();
  const dir = mkdtempSync(join(tmpdir(), 'zitadel-rs-demo-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const keyPath = join(dir, 'api-key.json');
  writeFileSync(keyPath, JSON.stringify(idp.api.keyFile, null, 2), { mode: 0o600 });

  process.env.ZITADEL_ISSUER = idp.issuer;
  process.env.ZITADEL_PROJECT_ID = idp.projectId;
  process.env.ZITADEL_API_CLIENT_ID = idp.api.clientId;
  process.env.ZITADEL_API_KEY_FILE = keyPath;
  delete process.env.ZITADEL_API_CLIENT_SECRET;

  const { jwtProfile, clientCredentials } = idp.serviceUsers;
  // ZITADEL issues opaque access tokens unless a user (or app) is switched to JWT.
  idp.setAccessTokenType(jwtProfile.userId, 'jwt');

  const tokens = new ZitadelTokenClient(idp.issuer);
  const scope = demoScope(idp.projectId);
  const apiApplication: ClientAuth = { type: 'private_key_jwt', keyFile: idp.api.keyFile };
  const ownClient: ClientAuth = { type: 'client_secret_basic', clientId: clientCredentials.clientId, clientSecret: clientCredentials.clientSecret };
  const revoked = async (token: Promise<string>, auth: ClientAuth): Promise<string> => {
    const value = await token;
    await tokens.revoke(value, auth);
    return value;
  };
  const [acme, globex] = DEV_PROJECT.organizations;

  return {
    description: `embedded dev issuer ${idp.issuer} (ZITADEL-like, oidc-provider)`,
    issuer: idp.issuer,
    methods: [
      {
        name: 'private key JWT',
        token: () => tokens.jwtProfile(jwtProfile.keyFile, scope),
        // Revoked through the API application (the user has no client secret to revoke with).
        refusedToken: { label: 'revoked', get: () => revoked(tokens.jwtProfile(jwtProfile.keyFile, scope), apiApplication) },
      },
      {
        name: 'client credentials',
        token: () => tokens.clientCredentials(clientCredentials.clientId, clientCredentials.clientSecret, scope),
        // Revoked by its own client, with its own credentials (RFC 7009).
        refusedToken: {
          label: 'revoked',
          get: () => revoked(tokens.clientCredentials(clientCredentials.clientId, clientCredentials.clientSecret, scope), ownClient),
        },
      },
      {
        // A PAT of the client-credentials user (a service user may have both).
        name: 'personal access token',
        token: () => idp.createPersonalAccessToken(clientCredentials.userId),
        refusedToken: { label: 'revoked', get: () => revoked(idp.createPersonalAccessToken(clientCredentials.userId), apiApplication) },
      },
    ],
    skipped: [],
    orgs: { own: { id: acme.id, alias: acme.name }, other: { id: globex.id, alias: globex.name } },
    introspectionAuth: 'private_key_jwt (API application key file in a temp dir)',
    hints: (curl) => [
      `# more client-credentials tokens from the dev issuer (user ${DEV_PROJECT.clientCredentialsUser.username}):`,
      curl(
        `-s -u '${clientCredentials.clientId}:${clientCredentials.clientSecret}' -d grant_type=client_credentials -d 'scope=${scope}' ${idp.issuer}/oauth/v2/token`,
      ),
    ],
    close: async () => {
      await idp.close();
      removeDir();
    },
  };
}

/**
 * A real ZITADEL instance: the API reads ZITADEL_ISSUER, ZITADEL_PROJECT_ID,
 * ZITADEL_API_CLIENT_ID and ZITADEL_API_KEY_FILE or ZITADEL_API_CLIENT_SECRET itself; the
 * demo client needs the service users' credentials and the organization their roles are
 * granted in. Methods whose variables are missing are skipped.
 */
export function zitadelBackend(env: NodeJS.ProcessEnv): Backend {
  const issuer = required(env, 'ZITADEL_ISSUER').replace(/\/+$/, '');
  const projectId = required(env, 'ZITADEL_PROJECT_ID');
  const orgId = required(env, 'ZITADEL_ORG_ID');
  const otherOrgId = env.ZITADEL_OTHER_ORG_ID || '999999999999999999';
  const tokens = new ZitadelTokenClient(issuer);
  const scope = demoScope(projectId);
  const methods: DemoMethod[] = [];
  const skipped: string[] = [];

  const keyFilePath = env.ZITADEL_SERVICE_USER_KEY_FILE;
  if (keyFilePath) {
    const keyFile = JSON.parse(readFileSync(keyFilePath, 'utf8')) as ServiceAccountKeyFile;
    if (keyFile.type !== 'serviceaccount') throw new Error(`ZITADEL_SERVICE_USER_KEY_FILE: expected a service user key ("type": "serviceaccount"), got "${String(keyFile.type)}"`);
    methods.push({
      name: 'private key JWT',
      token: () => tokens.jwtProfile(keyFile, scope),
      refusedToken: { label: 'bad signature', get: async () => tamper(await tokens.jwtProfile(keyFile, scope)) },
    });
  } else {
    skipped.push('private key JWT: set ZITADEL_SERVICE_USER_KEY_FILE (the service user key JSON)');
  }

  const clientId = env.ZITADEL_CLIENT_ID;
  const clientSecret = env.ZITADEL_CLIENT_SECRET;
  if (clientId && clientSecret) {
    const own: ClientAuth = { type: 'client_secret_basic', clientId, clientSecret };
    methods.push({
      name: 'client credentials',
      token: () => tokens.clientCredentials(clientId, clientSecret, scope),
      refusedToken: {
        label: 'revoked',
        get: async () => {
          const token = await tokens.clientCredentials(clientId, clientSecret, scope);
          await tokens.revoke(token, own);
          return token;
        },
      },
    });
  } else {
    skipped.push('client credentials: set ZITADEL_CLIENT_ID and ZITADEL_CLIENT_SECRET (the service user client secret)');
  }

  const pat = env.ZITADEL_PAT;
  if (pat) {
    methods.push({
      name: 'personal access token',
      token: async () => pat,
      // A random opaque token: introspection says inactive.
      refusedToken: { label: 'unknown token', get: async () => randomBytes(48).toString('base64url') },
    });
  } else {
    skipped.push('personal access token: set ZITADEL_PAT');
  }

  return {
    description: `ZITADEL ${issuer}`,
    issuer,
    methods,
    skipped,
    orgs: { own: { id: orgId, alias: 'own-org' }, other: { id: otherOrgId, alias: 'other-org' } },
    introspectionAuth: env.ZITADEL_API_KEY_FILE ? 'private_key_jwt (ZITADEL_API_KEY_FILE)' : 'client_secret_basic (ZITADEL_API_CLIENT_SECRET)',
    hints: () => [],
    close: async () => {},
  };
}

/** The same JWT with a signature that no longer matches. */
function tamper(jwt: string): string {
  const [header, payload, signature = ''] = jwt.split('.');
  return `${header}.${payload}.${'A'.repeat(16)}${signature.slice(16)}`;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set (needed to run the demo against ZITADEL; see sample-app/README.md)`);
  return value;
}
