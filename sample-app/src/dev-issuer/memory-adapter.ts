import type { Adapter, AnyObject } from 'oidc-provider';

interface Entry {
  readonly payload: AnyObject;
  readonly expiresAt: number;
}

/**
 * `oidc-provider` storage for one dev issuer. The package's built-in memory adapter keeps one
 * LRU of 1,000 entries per process, shared by every provider instance, so long-lived personal
 * access tokens could be evicted and two issuers in one test process would share state; this
 * one is a plain map per issuer, entries expire lazily.
 */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>();
  #writes = 0;

  adapterFor(model: string): Adapter {
    return new ModelAdapter(model, this);
  }

  get(key: string): AnyObject | undefined {
    const entry = this.#entries.get(key);
    if (!entry) {
      return undefined;
    }
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(key: string, payload: AnyObject, expiresInSeconds: number | undefined): void {
    const expiresAt = expiresInSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + expiresInSeconds * 1000;
    this.#entries.set(key, { payload, expiresAt });
    this.#writes += 1;
    if (this.#writes % 500 === 0) {
      this.#sweep();
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  find(predicate: (key: string, payload: AnyObject) => boolean): string[] {
    const keys: string[] = [];
    for (const [key, entry] of this.#entries) {
      if (predicate(key, entry.payload)) {
        keys.push(key);
      }
    }
    return keys;
  }

  clear(): void {
    this.#entries.clear();
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
      }
    }
  }
}

class ModelAdapter implements Adapter {
  readonly #model: string;
  readonly #store: MemoryStore;

  constructor(model: string, store: MemoryStore) {
    this.#model = model;
    this.#store = store;
  }

  #key(id: string): string {
    return `${this.#model}:${id}`;
  }

  async upsert(id: string, payload: AnyObject, expiresIn?: number): Promise<void> {
    this.#store.set(this.#key(id), payload, expiresIn);
  }

  async find(id: string): Promise<AnyObject | undefined> {
    return this.#store.get(this.#key(id));
  }

  async findByUserCode(userCode: string): Promise<AnyObject | undefined> {
    return this.#findOne((payload) => payload['userCode'] === userCode);
  }

  async findByUid(uid: string): Promise<AnyObject | undefined> {
    return this.#findOne((payload) => payload['uid'] === uid);
  }

  async consume(id: string): Promise<void> {
    const payload = this.#store.get(this.#key(id));
    if (payload) {
      payload['consumed'] = Math.floor(Date.now() / 1000);
    }
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(this.#key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of this.#store.find((_key, payload) => payload['grantId'] === grantId)) {
      this.#store.delete(key);
    }
  }

  #findOne(predicate: (payload: AnyObject) => boolean): AnyObject | undefined {
    const prefix = `${this.#model}:`;
    const [key] = this.#store.find((candidate, payload) => candidate.startsWith(prefix) && predicate(payload));
    return key === undefined ? undefined : this.#store.get(key);
  }
}
