// Unguarded Nest 12 app (platform-express): the baseline for every Nest row. Nest's default
// logger, as every Nest server here (it prints start-up lines only; the parent drains stdout).
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

const app = await NestFactory.create(AppModule);
await app.listen(0, '127.0.0.1');
ready(app.getHttpServer().address().port, () => app.close());
