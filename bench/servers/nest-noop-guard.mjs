// Nest 12 (platform-express) with a global guard that allows everything: the floor any Nest
// guard costs (Nest builds an execution context and runs its guard pipeline per request).
// Not a competitor: it shows how much of the package's Nest overhead is Nest's own.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ORDERS, ready } from './common.mjs';

class AllowAll {
  canActivate() {
    return true;
  }
}
Injectable()(AllowAll);

class OrdersController {
  list() {
    return ORDERS;
  }
}
Get()(OrdersController.prototype, 'list', Object.getOwnPropertyDescriptor(OrdersController.prototype, 'list'));
Controller('orders')(OrdersController);

class AppModule {}
Module({ controllers: [OrdersController], providers: [{ provide: APP_GUARD, useClass: AllowAll }] })(AppModule);

const app = await NestFactory.create(AppModule);
await app.listen(0, '127.0.0.1');
ready(app.getHttpServer().address().port, () => app.close());
