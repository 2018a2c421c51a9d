// Peer: Nest 12 (platform-express) + @nestjs/passport + passport-jwt + jwks-rsa
// (passportJwtSecret with its key cache), and a small guard for the role claim.
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import jwksRsa from 'jwks-rsa';
import { ORDERS, config, hasRole, ready } from './common.mjs';

class JwtStrategy extends PassportStrategy(Strategy) {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: jwksRsa.passportJwtSecret({ jwksUri: config.jwksUri, cache: true, rateLimit: true, jwksRequestsPerMinute: 10 }),
      issuer: config.issuer,
      audience: config.audience,
      algorithms: ['RS256'],
    });
  }

  validate(payload) {
    return payload;
  }
}
Injectable()(JwtStrategy);

class RolesGuard {
  canActivate(context) {
    return hasRole(context.switchToHttp().getRequest().user);
  }
}
Injectable()(RolesGuard);

class OrdersController {
  list() {
    return ORDERS;
  }
}
const list = Object.getOwnPropertyDescriptor(OrdersController.prototype, 'list');
Get()(OrdersController.prototype, 'list', list);
UseGuards(AuthGuard('jwt'), RolesGuard)(OrdersController.prototype, 'list', list);
Controller('orders')(OrdersController);

class AppModule {}
Module({ imports: [PassportModule], controllers: [OrdersController], providers: [JwtStrategy, RolesGuard] })(AppModule);

const app = await NestFactory.create(AppModule);
await app.listen(0, '127.0.0.1');
ready(app.getHttpServer().address().port, () => app.close());
