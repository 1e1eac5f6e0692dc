/**
 * The relay's queued invocations (InvocationType Event: reactions, notices, a push that missed its budget):
 * how long Lambda keeps retrying one and how often, the same on AWS (the relay function's EventInvokeConfig,
 * stacks/relay-async.ts) and in the sandbox's Lambda; and the age past which the relay drops a frame
 * (docs/protocol.md, Budgets). Lambda's own defaults keep retrying a throttled event for 6 hours.
 */
export const RELAY_ASYNC = {
  /**
   * Long enough for Lambda's two retries of a failed run (after about 1 and 2 minutes), short enough that no
   * push arrives more than 5 minutes late; what is older is found by gap fill (history).
   */
  maxEventAgeSeconds: 300,
  /** Lambda's maximum: two retries after the first run fails. */
  maxRetryAttempts: 2,
} as const;

/** The relay handler drops a relayed frame broadcast longer ago than this (its `sentAt`): the same limit. */
export const RELAY_MAX_AGE_MS = RELAY_ASYNC.maxEventAgeSeconds * 1000;
