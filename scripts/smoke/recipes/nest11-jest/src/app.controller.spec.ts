import { Test, TestingModule } from '@nestjs/testing';
import { createTestPrincipal } from 'zitadel-resource-server/testing';
import { AppController } from './app.controller';
import { AppService } from './app.service';

describe('AppController', () => {
  let appController: AppController;

  beforeEach(async () => {
    const app: TestingModule = await Test.createTestingModule({
      controllers: [AppController],
      providers: [AppService],
    }).compile();

    appController = app.get<AppController>(AppController);
  });

  it('lists the orders for the caller', () => {
    const caller = createTestPrincipal({ subject: 'svc-1', roles: ['orders.read'] });
    expect(appController.listOrders(caller)).toEqual({ orders: ['order-1'], caller: 'svc-1' });
  });
});
