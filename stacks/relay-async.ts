/**
 * The relay's queued invocations, bounded (docs/protocol.md, Budgets): Lambda retries a queued relay
 * (InvocationType Event) at most RELAY_ASYNC.maxRetryAttempts times and for at most maxEventAgeSeconds, not
 * its default 6 hours; what it gives up on goes to an SQS queue (the on-failure destination), which the
 * region's `relay-failed-events` alarm watches (stacks/observability.ts).
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { EventInvokeConfig } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RELAY_ASYNC } from '../core/relay-async.js';

export interface RelayAsyncProps {
  readonly relay: IFunction;
  readonly queueName: string;
}

export class RelayAsync extends Construct {
  /** The relays Lambda gave up on, each as Lambda's destination record (its payload, why, how many runs). */
  readonly failures: Queue;
  readonly config: EventInvokeConfig;

  constructor(scope: Construct, id: string, props: RelayAsyncProps) {
    super(scope, id);
    this.failures = new Queue(this, 'Failures', {
      queueName: props.queueName,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "this queue is the relay's on-failure destination: it is where given-up relays end, it needs no queue of its own",
    });
    // The destination grants the relay's role sqs:SendMessage on this queue alone.
    this.config = new EventInvokeConfig(this, 'Config', {
      function: props.relay,
      maxEventAge: Duration.seconds(RELAY_ASYNC.maxEventAgeSeconds),
      retryAttempts: RELAY_ASYNC.maxRetryAttempts,
      onFailure: new SqsDestination(this.failures),
    });
  }
}
