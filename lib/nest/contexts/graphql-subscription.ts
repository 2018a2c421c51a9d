import type { ExecutionContext } from '@nestjs/common';
import type { Decision, ResourceServer } from '../../core/kernel/index.js';
import { graphqlRefusal } from './graphql.js';

/** The part of graphql-js' `GraphQLResolveInfo` that tells a subscription's root field. */
interface OperationInfo {
  readonly operation?: { readonly operation?: string };
}

/** Decisions of subscription root fields, keyed by the field's `info` (one object per resolver call). */
const decisions = new WeakMap<object, Decision>();

/** The `info` of a GraphQL subscription's root field call, or `undefined` for anything else. */
export function subscriptionInfo(context: ExecutionContext): object | undefined {
  if (context.getType<string>() !== 'graphql') return undefined;
  const info = context.getArgByIndex<OperationInfo | undefined>(3);
  return info !== null && typeof info === 'object' && info.operation?.operation === 'subscription' ? info : undefined;
}

/** Keeps the guard's allow for the subscription this call starts (see {@link guardSubscription}). */
export function keepSubscriptionDecision(context: ExecutionContext, decision: Decision): void {
  const info = subscriptionInfo(context);
  if (info !== undefined && decision.outcome === 'allow') decisions.set(info, decision);
}

/** The guard's allow for this subscription call, if it had a caller. */
export function subscriptionDecision(context: ExecutionContext): Decision | undefined {
  const info = subscriptionInfo(context);
  return info === undefined ? undefined : decisions.get(info);
}

/** Longest timer Node keeps (about 24.8 days); a later expiry is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The event stream of a subscription authorized by `decision`, ended when the decision no
 * longer holds: at the token's expiry (a timer, so an idle stream ends too) and before each
 * event (the resource server's `recheck`: expiry, revocation where a list is configured,
 * binding and the route's rules). It ends with the refusal as the GraphQL error
 * (`graphql-ws` sends it as an `error` message), and the source stream is closed.
 */
export function guardSubscription<T>(source: AsyncIterable<T>, decision: Decision, server: ResourceServer): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped: Error | undefined;
  /** The stream is over (ended by its source, failed, or closed): nothing is checked any more. */
  let over = false;
  let wake: ((error: Error) => void) | undefined;
  const ended = new Promise<never>((_, reject) => {
    wake = reject;
  });
  ended.catch(() => undefined);

  const finish = (): void => {
    over = true;
    clearTimeout(timer);
    timer = undefined;
  };
  const close = (): void => {
    finish();
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  };
  const stop = (refusal: Decision): Error => {
    if (stopped === undefined) {
      stopped = refusal.outcome === 'refuse' ? graphqlRefusal(refusal) : new Error('The subscription ended');
      wake?.(stopped);
      close();
    }
    return stopped;
  };
  const check = async (): Promise<void> => {
    const again = await server.recheck(decision);
    if (again.outcome !== 'allow') throw stop(again);
  };
  // A token is accepted until exp + clockTolerance (as for any request): check then, and
  // should the check still allow (a clock moved), again a second later at the earliest.
  const { clockTolerance, now } = server.options;
  const tolerance = clockTolerance * 1000;
  const arm = (minimum = 0): void => {
    const expiresAt = decision.principal?.expiresAt?.getTime();
    if (over || stopped !== undefined || expiresAt === undefined || !Number.isFinite(expiresAt)) return;
    const wait = Math.min(Math.max(minimum, expiresAt + tolerance + 1 - now()), MAX_TIMER_MS);
    timer = setTimeout(() => {
      timer = undefined;
      if (over) return;
      check().then(() => arm(1000), () => undefined);
    }, wait);
    timer.unref?.();
  };
  arm();

  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<T>> {
      if (stopped !== undefined) throw stopped;
      let item: IteratorResult<T>;
      try {
        item = await Promise.race([iterator.next(), ended]);
      } catch (error) {
        // The source failed (or the decision ended it): the stream is over, and so is its
        // timer — left armed, it would hold the stream until exp and record a refusal then.
        finish();
        throw error;
      }
      if (item.done === true) {
        finish();
        return item;
      }
      await check();
      return item;
    },
    async return(value?: unknown): Promise<IteratorResult<T>> {
      close();
      return { done: true, value: value as T };
    },
    async throw(error?: unknown): Promise<IteratorResult<T>> {
      close();
      throw error;
    },
  };
}
