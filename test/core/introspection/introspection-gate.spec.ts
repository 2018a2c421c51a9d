/** The admission control of introspection calls (issue 15 item 4), on a frozen clock. */
import { IssuerUnavailableError } from '../../../lib/core/errors.js';
import { IntrospectionGate } from '../../../lib/core/introspection/introspection-gate.js';
import type { Release, ShedReason } from '../../../lib/core/introspection/introspection-gate.js';
import { clock } from '../support/fake-issuer.js';

function gate(maxConcurrent: number, maxNewPerSecond: number, time = clock()) {
  const shed: ShedReason[] = [];
  return { gate: new IntrospectionGate({ maxConcurrent, maxNewPerSecond, maxWaitMs: 3000, now: time.now, onShed: (r) => shed.push(r) }), shed, time };
}

async function refused(promise: Promise<unknown>): Promise<IssuerUnavailableError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(IssuerUnavailableError);
    return error as IssuerUnavailableError;
  }
  throw new Error('expected a refusal');
}

describe('IntrospectionGate', () => {
  it('lets never-seen tokens use the slots above the reserve, then refuses them at once with Retry-After 1', async () => {
    const { gate: g, shed } = gate(8, 100);
    const releases: Release[] = [];
    for (let i = 0; i < 6; i += 1) releases.push(await g.acquire(false));
    expect(g.active).toBe(6);
    const error = await refused(g.acquire(false));
    expect(error).toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE', status: 503, retryAfter: 1 });
    expect(shed).toEqual(['concurrency']);
    // The two reserved slots still serve known tokens.
    releases.push(await g.acquire(true), await g.acquire(true));
    expect(g.active).toBe(8);
    for (const release of releases) release();
    expect(g.active).toBe(0);
  });

  it('queues known tokens when every slot is busy and hands them the next free slot, in order', async () => {
    const { gate: g } = gate(2, 100);
    const first = await g.acquire(true);
    const second = await g.acquire(true);
    const order: string[] = [];
    const a = g.acquire(true).then((release) => (order.push('a'), release));
    const b = g.acquire(true).then((release) => (order.push('b'), release));
    expect(g.waiting).toBe(2);
    // A never-seen token does not jump the queue.
    await refused(g.acquire(false));
    first();
    (await a)();
    second();
    (await b)();
    expect(order).toEqual(['a', 'b']);
    expect(g.active).toBe(0);
  });

  it('bounds never-seen tokens per second with a token bucket; Retry-After is the time to the next token', async () => {
    const { gate: g, shed, time } = gate(256, 10);
    for (let i = 0; i < 10; i += 1) (await g.acquire(false))();
    const error = await refused(g.acquire(false));
    expect(error.retryAfter).toBe(1);
    expect(shed).toEqual(['rate']);
    // Known tokens do not spend the bucket.
    (await g.acquire(true))();
    time.advance(500);
    for (let i = 0; i < 5; i += 1) (await g.acquire(false))();
    await refused(g.acquire(false));
    time.advance(60_000);
    // The bucket holds one second's worth, no more.
    for (let i = 0; i < 10; i += 1) (await g.acquire(false))();
    await refused(g.acquire(false));
  });

  it('a cap of 1 keeps no reserve', async () => {
    const { gate: g } = gate(1, 100);
    const release = await g.acquire(false);
    await refused(g.acquire(false));
    release();
    (await g.acquire(false))();
  });

  it('a release counts once', async () => {
    const { gate: g } = gate(2, 100);
    const release = await g.acquire(true);
    await g.acquire(true);
    release();
    release();
    expect(g.active).toBe(1);
  });
});
