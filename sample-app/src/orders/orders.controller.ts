import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { Caller, RequireRole } from 'zitadel-resource-server/nest';
import type { Principal } from 'zitadel-resource-server';

import { NewOrderPipe, ZitadelIdPipe } from './orders.pipes.js';
import { OrdersService } from './orders.service.js';
import type { NewOrder, Order } from './orders.service.js';

/**
 * The organization in the path. A ZITADEL role is granted *in an organization*
 * (`{ "orders.read": { "<orgId>": "<org domain>" } }`): the caller needs the role in the
 * organization whose orders it touches, not just anywhere.
 */
const orgFromPath = (req: { params: Record<string, string | undefined> }): string | undefined => req.params.orgId;

/** Orders of one organization (tenant). Every route needs a valid token (deny by default). */
@Controller('orgs/:orgId/orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get()
  @RequireRole('orders.read', { org: orgFromPath })
  list(@Param('orgId', ZitadelIdPipe) orgId: string): { orders: Order[] } {
    return { orders: this.orders.list(orgId) };
  }

  @Post()
  @RequireRole('orders.write', { org: orgFromPath })
  create(
    @Param('orgId', ZitadelIdPipe) orgId: string,
    @Body(NewOrderPipe) input: NewOrder,
    @Caller() caller: Principal,
  ): Order {
    // `subject` is the ZITADEL user id of the service user behind the token, whichever
    // way it authenticated (JWT profile, client credentials or PAT).
    return this.orders.create(orgId, input, caller.subject);
  }
}
