/**
 * The client side of the GraphQL subscription suites: graphql-ws over a real WebSocket (`ws`),
 * with the caller's headers on the upgrade request, and the test streams' source.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** How often a test stream emits. */
export const TICK_MS = 20;

/** A stream that emits 1, 2, 3 … every TICK_MS and never ends on its own. */
export async function* ticks(): AsyncGenerator<{ ticks: number }> {
  for (let n = 1; ; n += 1) {
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    yield { ticks: n };
  }
}

/** How a subscription ended: the values it got, and the error it ended with, if any. */
export interface Outcome {
  readonly values: number[];
  readonly error?: { message: string; extensions?: Record<string, unknown> };
  readonly endedAt: number;
}

/**
 * Subscribes to `field` with `headers` on the upgrade request; resolves once the stream
 * ends (complete or error) or `onValue` answers `'stop'` (then it unsubscribes).
 */
export function subscribe(
  wsUrl: string,
  field: string,
  headers: Record<string, string>,
  onValue: (values: number[]) => void | 'stop' = () => undefined,
): Promise<Outcome> {
  class HeaderSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const client = createClient({ url: wsUrl, webSocketImpl: HeaderSocket, retryAttempts: 0, lazy: true });
  const values: number[] = [];
  return new Promise<Outcome>((resolve) => {
    let unsubscribe = () => undefined as void;
    const finish = (error?: Outcome['error']) => {
      resolve({ values, error, endedAt: Date.now() });
      void client.dispose();
    };
    unsubscribe = client.subscribe<Record<string, number>>(
      { query: `subscription { ${field} }` },
      {
        next: (result) => {
          if (result.errors !== undefined) return finish(result.errors[0] as Outcome['error']);
          values.push(result.data![field]!);
          if (onValue(values) === 'stop') {
            unsubscribe();
            finish();
          }
        },
        error: (error) => finish((Array.isArray(error) ? error[0] : { message: String((error as Error).message ?? error) }) as Outcome['error']),
        complete: () => finish(),
      },
    );
  });
}
