// Unguarded Nest 12 app (platform-express): the baseline for every Nest row.
// Plain JS: decorators are applied by hand.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ORDERS, ready } from './common.mjs';

class OrdersController {
  list() {
    return ORDERS;
  }
}
Get()(OrdersController.prototype, 'list', Object.getOwnPropertyDescriptor(OrdersController.prototype, 'list'));
Controller('orders')(OrdersController);

class AppModule {}
Module({ controllers: [OrdersController] })(AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
ready(app.getHttpServer().address().port, () => app.close());
