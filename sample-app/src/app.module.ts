import 'reflect-metadata';

import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ResourceServerModule } from 'zitadel-resource-server/nest';

import { AuditLog } from './audit/audit-log.service.js';
import { AuditModule } from './audit/audit.module.js';
import { CallerController } from './caller/caller.controller.js';
import { resourceServerOptions, validateZitadelEnv } from './config/zitadel.config.js';
import type { ZitadelEnv } from './config/zitadel.config.js';
import { HealthController } from './health/health.controller.js';
import { OrdersModule } from './orders/orders.module.js';

/**
 * The orders API. Importing `ResourceServerModule` protects every route: a valid ZITADEL
 * token is required unless a route is `@Public()`, and `@RequireRole` / `@RequireScope` /
 * `@RequireActiveToken` narrow it further.
 *
 * Configuration comes from environment variables (see `config/zitadel.config.ts`), read
 * when this module is loaded; export them, or start Node with `--env-file=<file>`.
 */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, validate: validateZitadelEnv }),
    AuditModule,
    ResourceServerModule.forRootAsync({
      inject: [ConfigService, AuditLog],
      useFactory: (config: ConfigService<ZitadelEnv, true>, audit: AuditLog) => resourceServerOptions(config, audit.record),
    }),
    OrdersModule,
  ],
  controllers: [HealthController, CallerController],
})
export class AppModule {}
