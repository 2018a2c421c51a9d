import type { ConfigService } from '@nestjs/config';
import { MemoryRevocationList } from 'zitadel-resource-server';
import type { AuditSink, IntrospectionAuth } from 'zitadel-resource-server';
import type { ResourceServerModuleOptions } from 'zitadel-resource-server/nest';

/**
 * The environment the API reads, exactly what you copy from the ZITADEL console:
 *
 * | variable | what |
 * |---|---|
 * | `ZITADEL_ISSUER` | the instance URL, e.g. `https://acme-xyz.zitadel.cloud` |
 * | `ZITADEL_PROJECT_ID` | the project holding the roles `orders.read`, `orders.write`, `orders.admin` |
 * | `ZITADEL_API_CLIENT_ID` | client id of the project's API application |
 * | `ZITADEL_API_KEY_FILE` | path to the API application's key JSON ("Private Key JWT"), **or** |
 * | `ZITADEL_API_CLIENT_SECRET` | its client secret ("Basic") |
 */
export interface ZitadelEnv {
  readonly ZITADEL_ISSUER: string;
  readonly ZITADEL_PROJECT_ID: string;
  readonly ZITADEL_API_CLIENT_ID: string;
  readonly ZITADEL_API_KEY_FILE?: string;
  readonly ZITADEL_API_CLIENT_SECRET?: string;
}

const REQUIRED = ['ZITADEL_ISSUER', 'ZITADEL_PROJECT_ID', 'ZITADEL_API_CLIENT_ID'] as const;

/**
 * `ConfigModule`'s `validate`: stops the app at boot, naming the variable, when the
 * environment is incomplete. (The resource server validates the values themselves.)
 */
export function validateZitadelEnv(env: Record<string, unknown>): Record<string, unknown> {
  const problems: string[] = [];
  for (const name of REQUIRED) {
    if (typeof env[name] !== 'string' || env[name] === '') problems.push(`${name} is not set`);
  }
  const keyFile = nonEmpty(env.ZITADEL_API_KEY_FILE);
  const secret = nonEmpty(env.ZITADEL_API_CLIENT_SECRET);
  if (keyFile === undefined && secret === undefined) {
    problems.push('set ZITADEL_API_KEY_FILE (API application key JSON, "Private Key JWT") or ZITADEL_API_CLIENT_SECRET ("Basic")');
  } else if (keyFile !== undefined && secret !== undefined) {
    problems.push('set only one of ZITADEL_API_KEY_FILE and ZITADEL_API_CLIENT_SECRET (the API application uses one auth method)');
  }
  if (problems.length > 0) throw new Error(`Invalid environment: ${problems.join('; ')}`);
  return env;
}

/**
 * The options of `ResourceServerModule.forRootAsync`, from the environment.
 *
 * - `audience`: a service user's token names the project id in `aud` when it asked for
 *   `urn:zitadel:iam:org:project:id:{projectId}:aud` (internal/domain/token.go
 *   AddAudScopeToAudience); a PAT's introspection answer names the API application's client
 *   id (newer releases add the project id): either one identifies this API.
 * - `projectId`: roles are read from `urn:zitadel:iam:org:project:{projectId}:roles`.
 * - `introspection`: needed for opaque tokens (ZITADEL's default), personal access
 *   tokens and `@RequireActiveToken()`; the API authenticates as its API application.
 * - `audit`: receives one event per authorization decision.
 * - `revocation`: tokens revoked through `POST /api/admin/revocations` are refused at once
 *   (use `RedisRevocationList` from `zitadel-resource-server/redis` with several instances).
 * - `policy: 'explicit'`: the app does not start while a route says nothing about who may
 *   call it.
 */
export function resourceServerOptions(config: ConfigService<ZitadelEnv, true>, audit: AuditSink): ResourceServerModuleOptions {
  const projectId = config.get('ZITADEL_PROJECT_ID', { infer: true });
  const apiClientId = config.get('ZITADEL_API_CLIENT_ID', { infer: true });
  const keyFile = nonEmpty(config.get('ZITADEL_API_KEY_FILE', { infer: true }));
  const auth: IntrospectionAuth =
    keyFile !== undefined
      ? { type: 'private_key_jwt', keyFile }
      : { type: 'client_secret_basic', clientId: apiClientId, clientSecret: config.get('ZITADEL_API_CLIENT_SECRET', { infer: true }) ?? '' };

  return {
    issuer: config.get('ZITADEL_ISSUER', { infer: true }),
    audience: [projectId, apiClientId],
    projectId,
    introspection: { auth },
    // One event per decision (allow, deny, unavailable); never the token.
    audit,
    revocation: new MemoryRevocationList(),
    policy: 'explicit',
  };
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}
