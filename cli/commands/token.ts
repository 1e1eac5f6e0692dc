import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../base.js';
import { durationFlag } from '../flags.js';
import type { TokenResult } from '../ops/sandbox/token.js';

export default class Token extends ChatctlCommand<typeof Token, TokenResult> {
  static override summary = "Print a development token that the sandbox's $connect accepts.";
  static override description =
    'Connect by asking for the subprotocols "chat.v1" and the token (Sec-WebSocket-Protocol; a URL carries no token). Without --json the token is printed alone, for shell use.';
  static override examples = [
    '<%= config.bin %> token --user alice',
    '<%= config.bin %> token --user bob --ttl 30m --json',
    'wscat -c ws://127.0.0.1:4567/prod -s chat.v1 -s "$(<%= config.bin %> token --user alice)"',
  ];
  static override flags = {
    user: Flags.string({ description: 'the user id the token stands for', required: true }),
    ttl: durationFlag({
      description: 'lifetime',
      default: 3_600_000,
      min: 1000,
      max: 30 * 86_400_000,
      bare: 's',
    }),
  };

  protected async execute(): Promise<TokenResult> {
    const { issueToken } = await import('../ops/sandbox/token.js');
    return issueToken(await this.topology(), {
      userId: this.flags.user,
      ttl: `${Math.round((this.flags.ttl ?? 3_600_000) / 1000)}s`,
    });
  }

  protected override render(result: TokenResult): void {
    this.log(result.token);
  }
}
