import { Controller, Get } from '@nestjs/common';
import { RequireActiveToken, RequireRole } from 'zitadel-resource-server/nest';

import { OrdersService } from './orders.service.js';
import type { Order } from './orders.service.js';

/**
 * Orders of every organization: a sensitive route.
 *
 * - `@RequireActiveToken()`: the token is introspected on every call (answers at most
 *   1 s old), JWTs included, so a revoked token or a removed role is refused at once
 *   instead of after the cache TTL (or, for a JWT, its `exp`).
 * - `@RequireRole('orders.admin')`: granted in any organization. Pin it with
 *   `{ org: '<id of the organization that runs this service>' }` if tenants' own admins
 *   must not see other tenants' orders.
 */
@Controller('admin/orders')
@RequireActiveToken()
@RequireRole('orders.admin')
export class AdminOrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get()
  listAll(): { orders: Order[] } {
    return { orders: this.orders.listAll() };
  }
}
