import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../base.js';
import { durationFlag } from '../flags.js';
import type { ChatSessionResult } from '../ops/chat.js';
import { color } from '../output.js';

export interface ChatResult extends ChatSessionResult {
  readonly url: string;
  readonly region?: string;
  readonly via: string;
  readonly userId: string;
}

export default class Chat extends ChatctlCommand<typeof Chat, ChatResult> {
  static override enableJsonFlag = false;
  static override summary = 'Chat in a room from the terminal: joins, shows history, sends what you type.';
  static override description =
    'A small line-based chat client. Type a line to send it; /reply #n text, /react #n emoji, /unreact #n emoji, ' +
    '/notice text, /history (older page), /ping, /quit. Messages are numbered (#n) as they are shown. ' +
    'Connect to a region directly (--region), to the region latency DNS gives users of another region ' +
    '(--via dns --from tokyo), or through the China proxy (--via china).';
  static override examples = [
    '<%= config.bin %> chat --region seoul --room lobby --user alice',
    '<%= config.bin %> chat --via dns --from tokyo --room lobby --user bob',
    '<%= config.bin %> chat --via china --room lobby --user li',
    'printf "hello\\n/quit\\n" | <%= config.bin %> chat --region na --room lobby --user carol',
  ];
  static override flags = {
    region: Flags.string({ description: 'region key to connect to (default: the home region)' }),
    room: Flags.string({ description: 'room id', default: 'lobby' }),
    user: Flags.string({ description: 'your user id (a development token is made for it)', required: true }),
    via: Flags.option({
      options: ['direct', 'dns', 'china'] as const,
      description: 'direct: the region; dns: what Route 53 latency routing answers; china: the China proxy',
      default: 'direct' as const,
    })(),
    from: Flags.string({
      description: 'with --via dns: the region whose users you stand for (its probe subnet)',
    }),
    token: Flags.string({
      description: 'a token to connect with instead of a development token',
      env: 'CHATCTL_TOKEN',
    }),
    timeout: durationFlag({ description: 'time limit of each request', default: 10_000, min: 100 }),
  };

  private output = (line: string) => process.stdout.write(`${line}\n`);

  protected async execute(): Promise<ChatResult> {
    const [
      { openTarget },
      { resolveChatEndpoint, runChatSession },
      { ChatClient, ChatClientError },
      { UserError },
    ] = await Promise.all([
      import('../ops/target.js'),
      import('../ops/chat.js'),
      import('../ops/chat-client.js'),
      import('../../core/errors.js'),
    ]);
    const { region, via, from, room, user } = this.flags;
    if (from && via !== 'dns') throw new UserError('--from only applies with --via dns');
    const target = await openTarget(await this.topology());
    if (region) target.region(region);
    const endpoint = await resolveChatEndpoint(target, { via, region, from });
    const token = this.flags.token ?? target.token(user);
    let client: Awaited<ReturnType<typeof ChatClient.connect>>;
    try {
      client = await ChatClient.connect({
        url: endpoint.url,
        address: endpoint.address,
        token,
        timeoutMs: this.flags.timeout,
      });
    } catch (error) {
      if (error instanceof ChatClientError) {
        throw new UserError(`could not connect ${endpoint.how}: ${error.message}`, {
          hint:
            target.kind === 'sandbox'
              ? 'is the sandbox running? run: chatctl sandbox status'
              : 'check the region: chatctl health',
        });
      }
      throw error;
    }
    this.output(color.dim(`connected ${endpoint.how} at ${endpoint.url}; /help for commands`));
    // Ctrl-C leaves as /quit does: the socket is closed cleanly (1000) and the summary printed.
    const interrupt = new AbortController();
    const onSigint = () => interrupt.abort();
    process.once('SIGINT', onSigint);
    try {
      const result = await runChatSession({
        client,
        roomId: room,
        userId: user,
        input: process.stdin,
        print: this.output,
        signal: interrupt.signal,
      });
      return { ...result, url: endpoint.url, region: endpoint.region, via: endpoint.via, userId: user };
    } catch (error) {
      if (error instanceof ChatClientError) throw new UserError(error.message, { cause: error });
      throw error;
    } finally {
      process.off('SIGINT', onSigint);
      await client.close();
      process.stdin.pause();
    }
  }

  /** 1 when the server closed the connection (e.g. the region went down); 0 after /quit or the end of input. */
  protected override exitCodeFor(result: ChatResult): number {
    return result.ended === 'closed' ? 1 : 0;
  }

  protected override render(result: ChatResult): void {
    this.output(
      color.dim(
        `left ${result.roomId}: sent ${result.sent}, received ${result.received}${result.errors ? `, ${result.errors} errors` : ''}`,
      ),
    );
  }
}
