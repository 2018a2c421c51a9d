// Nest 12 (platform-express) + zitadel-resource-server: ResourceServerModule.forRoot
// (global guard) + @RequireRole('orders.read') on the route. Module defaults: the audit
// events go to Nest's Logger, and the app keeps Nest's default logger (as every Nest
// server here), which prints them to stdout. `nest-zrs-noaudit` adds `audit: false`.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { auditOption, config, ORDERS, ready, ROLE, zrs } from './common.mjs';
const { RequireRole, ResourceServerModule } = await zrs('nest');

class OrdersController {
  list() {
    return ORDERS;
  }
}
const list = Object.getOwnPropertyDescriptor(OrdersController.prototype, 'list');
Get()(OrdersController.prototype, 'list', list);
RequireRole(ROLE)(OrdersController.prototype, 'list', list);
Controller('orders')(OrdersController);

class AppModule {}
Module({
  imports: [
    ResourceServerModule.forRoot({
      issuer: config.issuer,
      audience: config.audience,
      projectId: config.projectId,
      introspection: { auth: { type: 'client_secret_basic', ...config.introspectionClient } },
      ...auditOption,
    }),
  ],
  controllers: [OrdersController],
})(AppModule);

const app = await NestFactory.create(AppModule);
await app.listen(0, '127.0.0.1');
ready(app.getHttpServer().address().port, () => app.close());
