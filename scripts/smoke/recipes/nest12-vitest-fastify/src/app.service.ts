import { Injectable } from '@nestjs/common';

@Injectable()
export class AppService {
  getHello(): string {
    return 'Hello World!';
  }

  listOrders(): string[] {
    return ['order-1'];
  }
}
