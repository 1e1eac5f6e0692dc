import { Args } from '@oclif/core';
import { ChatctlCommand } from '../../base.js';
import { regionInput } from '../../flags.js';
import type { FaultResult } from '../../ops/sandbox/faults.js';
import { color } from '../../output.js';

export default class SandboxFault extends ChatctlCommand<typeof SandboxFault, FaultResult> {
  static override sandboxOnly = true;
  static override summary = 'Inject a fault into a region of the running sandbox.';
  static override description =
    "gateway-down: refuse new connections, drop open ones, fail /health. replication-pause: hold the region's replication in and out (caught up on heal). latency=DURATION (300ms, 1s; a bare number is in ms): delay its gateway, replication and cross-region Invokes. relay-error: its relay Invoke fails. throttle: Invokes of its functions are throttled (TooManyRequestsException; a queued relay waits and is retried within the relay's age limit). cognito-down: Cognito in its AWS region fails every call and its JWKS URL (InternalErrorException).";
  static override examples = [
    '<%= config.bin %> sandbox fault tokyo gateway-down',
    '<%= config.bin %> sandbox fault seoul latency=300ms',
  ];
  static override args = {
    region: regionInput(Args.string({ description: 'region key', required: true })),
    fault: Args.string({
      description:
        'gateway-down | replication-pause | latency=DURATION | relay-error | throttle | cognito-down',
      required: true,
    }),
  };

  protected async execute(): Promise<FaultResult> {
    const { injectFault } = await import('../../ops/sandbox/faults.js');
    return injectFault(this.args.region, this.args.fault);
  }

  protected override render(result: FaultResult): void {
    this.log(`${color.yellow('fault')} ${result.fault} in ${result.region}`);
    this.log(
      color.dim(
        `active: ${result.active.map((f) => `${f.region} ${f.fault}`).join(', ')}; heal with: chatctl sandbox heal ${result.region}`,
      ),
    );
  }
}
