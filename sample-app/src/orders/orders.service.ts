import { Injectable } from '@nestjs/common';

/** An order of one organization (tenant). */
export interface Order {
  /** ZITADEL-style numeric id. */
  readonly id: string;
  /** The ZITADEL organization that owns the order. */
  readonly orgId: string;
  readonly item: string;
  readonly quantity: number;
  /** `sub` of the caller that created it: a service user's id. */
  readonly createdBy: string;
  readonly createdAt: string;
}

export interface NewOrder {
  readonly item: string;
  readonly quantity: number;
}

/** Most orders kept; the oldest go first. An in-memory demo store, bounded. */
const CAPACITY = 10_000;

/** In-memory orders, per organization. */
@Injectable()
export class OrdersService {
  readonly #orders: Order[] = [];
  #sequence = 400_000_000_000_000_000n;

  list(orgId: string): Order[] {
    return this.#orders.filter((order) => order.orgId === orgId);
  }

  listAll(): Order[] {
    return [...this.#orders];
  }

  create(orgId: string, input: NewOrder, createdBy: string): Order {
    this.#sequence += 1n;
    const order: Order = Object.freeze({
      id: this.#sequence.toString(),
      orgId,
      item: input.item,
      quantity: input.quantity,
      createdBy,
      createdAt: new Date().toISOString(),
    });
    this.#orders.push(order);
    if (this.#orders.length > CAPACITY) this.#orders.shift();
    return order;
  }
}
