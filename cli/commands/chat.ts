import { Flags } from '@oclif/core';
import { ChatctlCommand } from '../base.js';
import { durationFlag, regionInput } from '../flags.js';
import type { ChatSessionResult } from '../ops/chat/session.js';
import { asInvoked, color } from '../output.js';

export interface ChatResult extends ChatSessionResult {
  readonly url: string;
  readonly region?: string;
  readonly via: string;
  readonly userId: string;
}

export default class Chat extends ChatctlCommand<typeof Chat, ChatResult> {
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
    'printf "hello\\n/ping\\n" | <%= config.bin %> chat --user bot --json   # one JSON line per frame',
  ];
  static override flags = {
    region: regionInput(Flags.string({ description: 'region key to connect to (default: the home region)' })),
    room: Flags.string({ description: 'room id', default: 'lobby' }),
    user: Flags.string({ description: 'your user id (a development token is made for it)', required: true }),
    via: Flags.option({
      options: ['direct', 'dns', 'china'] as const,
      description: 'direct: the region; dns: what Route 53 latency routing answers; china: the China proxy',
      default: 'direct' as const,
    })(),
    from: regionInput(
      Flags.string({
        description: 'with --via dns: the region whose users you stand for (its probe subnet)',
      }),
    ),
    token: Flags.string({
      description: 'a token to connect with instead of a development token',
      env: 'CHATCTL_TOKEN',
    }),
    timeout: durationFlag({ description: 'time limit of each request', default: 10_000, min: 100 }),
  };

  private output = (line: string) => process.stdout.write(`${line}\n`);

  /** --json: one JSON line per server frame, and session events as {"type":"session","event":...}. */
  private emit = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

  protected async execute(): Promise<ChatResult> {
    const [
      { openTarget },
      { resolveChatEndpoint },
      { runChatSession },
      { ChatClient },
      { ChatClientError },
      { UserError },
    ] = await Promise.all([
      import('../ops/target.js'),
      import('../ops/chat/endpoint.js'),
      import('../ops/chat/session.js'),
      import('../../runtime/chat-client/client.js'),
      import('../../runtime/chat-client/socket.js'),
      import('../../core/errors.js'),
    ]);
    const { region, via, from, room, user } = this.flags;
    const json = this.jsonEnabled();
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
          hint: target.sandbox ? await sandboxConnectHint(endpoint.region) : target.connectHint,
        });
      }
      throw error;
    }
    if (json)
      this.emit({ type: 'session', event: 'connected', url: endpoint.url, region: endpoint.region, via });
    else this.output(color.dim(`connected ${endpoint.how} at ${endpoint.url}; /help for commands`));
    const unsubscribe = json ? client.onFrame((frame) => this.emit(frame)) : () => {};
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
        // With --json the frames speak for themselves; the session's own lines (an unknown /command, the
        // close) become session events.
        print: json ? (line) => this.emit(sessionLine(line)) : this.output,
        signal: interrupt.signal,
      });
      if (result.ended === 'closed') {
        const info = await client.closed;
        const hint = asInvoked(
          await closedHint(Boolean(target.sandbox), endpoint.region, info.code, { room, user }),
        );
        if (json) this.emit({ type: 'session', event: 'closed', code: info.code, reason: info.reason, hint });
        else this.output(hint);
      }
      return { ...result, url: endpoint.url, region: endpoint.region, via: endpoint.via, userId: user };
    } catch (error) {
      if (error instanceof ChatClientError) throw new UserError(error.message, { cause: error });
      throw error;
    } finally {
      unsubscribe();
      process.off('SIGINT', onSigint);
      await client.close();
      process.stdin.pause();
    }
  }

  /** One line per value, so that a script reads the session line by line. */
  protected override logJson(json: unknown): void {
    this.emit(json);
  }

  protected override toSuccessJson(result: ChatResult): unknown {
    return { type: 'session', event: 'left', ...result };
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

function sessionLine(line: string): { type: 'session'; event: 'error' | 'info'; message: string } {
  return line.startsWith('error: ')
    ? { type: 'session', event: 'error', message: line.slice('error: '.length) }
    : { type: 'session', event: 'info', message: line };
}

/** The active faults of a region in the running sandbox ([] when none runs, or it does not answer). */
async function sandboxFaults(region: string | undefined): Promise<{ running: boolean; faults: string[] }> {
  const { sandboxStatus } = await import('../ops/sandbox/status.js');
  const status = await sandboxStatus().catch(() => undefined);
  return {
    running: Boolean(status?.running && status.alive),
    faults: (status?.faults ?? []).filter((f) => f.region === region).map((f) => f.fault),
  };
}

/** Why a sandbox connection could not open, from what is known: no sandbox, a fault on the region, or neither. */
async function sandboxConnectHint(region: string | undefined): Promise<string> {
  const { running, faults } = await sandboxFaults(region);
  if (!running) return 'the sandbox is not running: chatctl sandbox up --detach';
  if (faults.length > 0 && region) {
    return `${region} has the fault ${faults.join(', ')}: heal it (chatctl sandbox heal ${region}), or chat where DNS sends its users: chatctl chat --via dns --from ${region}`;
  }
  return 'the sandbox runs; see what fails: chatctl health';
}

const CLOSE_MEANINGS: Record<number, string> = {
  1000: 'the server ended the session',
  1001: 'the server is going away (the region is stopping)',
  1006: 'the connection dropped without a close frame (the region went down, or the network did)',
  1008: 'the server refused the session (policy: e.g. the token expired)',
  1009: 'a message was over the 128 KB limit',
  1011: 'the server hit an internal error',
};

/** What a closed session means, and what to try: chat --via dns finds a region that serves. */
async function closedHint(
  onSandbox: boolean,
  region: string | undefined,
  code: number,
  who: { room: string; user: string },
): Promise<string> {
  const meaning = CLOSE_MEANINGS[code] ?? `close code ${code}`;
  const again = `chatctl chat --via dns --from ${region ?? 'seoul'} --room ${who.room} --user ${who.user}`;
  if (onSandbox) {
    const { faults } = await sandboxFaults(region);
    if (faults.length > 0 && region) {
      return `closed: ${meaning}; ${region} has the fault ${faults.join(', ')}. Reconnect where DNS sends its users: ${again} (or heal it: chatctl sandbox heal ${region})`;
    }
  }
  return `closed: ${meaning}. Reconnect where DNS sends users of ${region ?? 'that region'} (a region that serves): ${again}; see which regions serve: chatctl health`;
}
