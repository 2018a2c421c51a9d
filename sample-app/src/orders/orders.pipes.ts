import { BadRequestException, Injectable } from '@nestjs/common';
import type { PipeTransform } from '@nestjs/common';

import type { NewOrder } from './orders.service.js';

/** ZITADEL resource ids (organizations, users, projects) are numeric strings. */
const ZITADEL_ID = /^\d{1,32}$/;

/** Validates a ZITADEL id path parameter. */
@Injectable()
export class ZitadelIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value !== 'string' || !ZITADEL_ID.test(value)) {
      throw new BadRequestException('The organization id must be a ZITADEL id (digits only)');
    }
    return value;
  }
}

/** Validates the body of `POST /api/orgs/:orgId/orders`: `{ "item": string, "quantity": 1..1000 }`. */
@Injectable()
export class NewOrderPipe implements PipeTransform<unknown, NewOrder> {
  transform(value: unknown): NewOrder {
    const body = (value ?? {}) as Record<string, unknown>;
    const { item, quantity } = body;
    if (typeof item !== 'string' || item.trim() === '' || item.length > 200) {
      throw new BadRequestException('"item" must be a non-empty string of at most 200 characters');
    }
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > 1000) {
      throw new BadRequestException('"quantity" must be an integer from 1 to 1000');
    }
    return { item: item.trim(), quantity };
  }
}
