import { Controller, Get } from '@nestjs/common';
import type { Principal } from 'zitadel-resource-server';
import { Caller, Public, RequireRole } from 'zitadel-resource-server/nest';
import { AppService } from './app.service';

@Controller()
export class AppController {
  constructor(private readonly appService: AppService) {}

  @Get()
  @Public()
  getHello(): string {
    return this.appService.getHello();
  }

  @Get('orders')
  @RequireRole('orders.read')
  listOrders(@Caller() caller: Principal): { orders: string[]; caller: string } {
    return { orders: this.appService.listOrders(), caller: caller.subject };
  }
}
