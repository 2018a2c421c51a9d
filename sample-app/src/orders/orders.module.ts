import { Module } from '@nestjs/common';

import { AdminOrdersController } from './admin-orders.controller.js';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';
import { RevocationsController } from './revocations.controller.js';

@Module({
  controllers: [OrdersController, AdminOrdersController, RevocationsController],
  providers: [OrdersService],
})
export class OrdersModule {}
