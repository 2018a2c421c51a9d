/**
 * What the README's code blocks take for granted: the imports a fragment leaves out, and
 * the values it names without declaring (an issuer URL, a project id, an Express handler…).
 * compile.mjs adds an import only when the block uses the name and does not import it.
 */
/** @type {Readonly<Record<string, string>>} */
export const IMPLICIT_IMPORTS = {
  createResourceServer: "import { createResourceServer } from 'zitadel-resource-server';",
  createRoute: "import { createRoute } from 'zitadel-resource-server';",
  MemoryRevocationList: "import { MemoryRevocationList } from 'zitadel-resource-server';",
  ResourceServerModule: "import { ResourceServerModule } from 'zitadel-resource-server/nest';",
  RoutePolicyInspector: "import { RoutePolicyInspector } from 'zitadel-resource-server/nest';",
  applyResourceServerSecurity: "import { applyResourceServerSecurity } from 'zitadel-resource-server/nest';",
  protect: "import { protect } from 'zitadel-resource-server/express';",
  ConfigModule: "import { ConfigModule, ConfigService } from '@nestjs/config';",
  NestFactory: "import { NestFactory } from '@nestjs/core';",
  SwaggerModule: "import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';",
  express: "import express from 'express';",
};

/** Ambient values the fragments name (module scope in a block shadows them). */
export const AMBIENT = `
import type { Request, Response, Express, RequestHandler } from 'express';
import type { INestApplication } from '@nestjs/common';
import type { IntrospectionAuth, ResourceServer } from 'zitadel-resource-server';
import type { TokenSource } from 'zitadel-resource-server/client';
import type { RedisRevocationList } from 'zitadel-resource-server/redis';
import type { Redis } from 'ioredis';
declare global {
  const rs: ResourceServer;
  const tokens: TokenSource;
  const logger: { info(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };
  const error: unknown;
  const controller: { list(caller: unknown): unknown };
  const myErrorLogger: import('express').ErrorRequestHandler;
  const redis: Redis;
  const revocations: RedisRevocationList;
  const retryLater: (what: unknown) => void;
  const reply: (response: unknown) => unknown;
  const issuer: string;
  const audience: string;
  const projectId: string;
  const jti: string;
  const auth: IntrospectionAuth;
  const acmeAuth: IntrospectionAuth;
  const globexAuth: IntrospectionAuth;
  const req: Request;
  const res: Response;
  const handler: RequestHandler;
  const decision: import('zitadel-resource-server').Decision;
  const stream: { end(): void };
  const app: Express & INestApplication;
  class AppModule {}
}
export {};
`;
