import type { DpopVerifier } from '../dpop.js';
import type { ThrottledLog } from '../logger.js';
import type { Operations } from '../operations/operations.js';
import type { ResolvedOptions } from '../options.js';
import type { DecisionState } from './state.js';
import type { TokenVerification } from './token-verification.js';

/** What the steps of the pipeline share: the validated options and the long-lived parts. */
export interface PipelineContext {
  readonly options: ResolvedOptions;
  readonly tokens: TokenVerification;
  readonly dpop: DpopVerifier | undefined;
  readonly log: ThrottledLog;
  /** Upstream failure reports and metrics. */
  readonly operations: Operations;
}

/**
 * One stage of the decision. It reads and writes the request's state and returns nothing
 * when it is done in this tick, or a promise when it needs I/O; it throws (or rejects) an
 * error to refuse.
 */
export type Step = (context: PipelineContext, state: DecisionState) => void | Promise<void>;
