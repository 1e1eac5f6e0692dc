/**
 * `chatctl chat`: a line-based terminal session on top of ChatClient (endpoint.ts says where to connect).
 * `runChatSession` is about 200 lines on purpose: one closure holds the session's screen state (message
 * numbers, what was shown, the history cursor), which the frame listener, the line commands and the input
 * pump all share; split apart, that state would have to be threaded through every piece.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { UserError } from '../../../core/errors.js';
import type { ChatMessage, Notice, ServerFrame } from '../../../core/protocol.js';
import type { ChatClient } from '../../../runtime/chat-client/client.js';
import { ChatClientError } from '../../../runtime/chat-client/socket.js';

export interface ChatSessionOptions {
  readonly client: ChatClient;
  readonly roomId: string;
  readonly userId: string;
  readonly input: Readable;
  /** Writes one line of output (without the newline). */
  readonly print: (line: string) => void;
  /** How long to wait, at the end of input, for the broadcasts of what was sent. Default 3 s. */
  readonly drainMs?: number;
  /** Ends the session as /quit does (the command aborts it on Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface ChatSessionResult {
  readonly roomId: string;
  readonly sent: number;
  readonly received: number;
  readonly errors: number;
  /** Why the session ended: /quit, end of input, or the connection closing. */
  readonly ended: 'quit' | 'eof' | 'closed';
}

export const CHAT_HELP = [
  'type a line to send it; commands:',
  '  /reply <#n|messageId> <text>   reply to a message',
  '  /react <#n|messageId> <emoji>  react to a message',
  '  /unreact <#n|messageId> <emoji> remove your reaction',
  '  /notice <text>                 set the room notice',
  '  /history                       show the next older page',
  '  /ping                          ask which region answers',
  '  /quit                          leave',
].join('\n');

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** Runs the session until /quit, the end of input, or the connection closing. */
export async function runChatSession(options: ChatSessionOptions): Promise<ChatSessionResult> {
  const { client, roomId, print } = options;
  const numbers = new Map<string, number>();
  const ids: string[] = [];
  const shown = new Set<string>();
  const awaitingEcho = new Set<string>();
  let sent = 0;
  let received = 0;
  let errors = 0;
  let cursor: string | null = null;

  const numberOf = (messageId: string): number => {
    let n = numbers.get(messageId);
    if (n === undefined) {
      ids.push(messageId);
      n = ids.length;
      numbers.set(messageId, n);
    }
    return n;
  };
  const formatMessage = (m: ChatMessage): string => {
    const parent = m.parentId ? ` (reply to #${numberOf(m.parentId)})` : '';
    const reactions = Object.entries(m.reactions ?? {})
      .filter(([, users]) => users.length > 0)
      .map(([emoji, users]) => `${emoji}${users.length}`)
      .join(' ');
    return `#${numberOf(m.messageId)} ${clock(m.sentAt)} [${m.region}] ${m.userId}:${parent} ${m.text}${reactions ? `  ${reactions}` : ''}`;
  };
  const showMessage = (m: ChatMessage) => {
    if (shown.has(m.messageId)) return;
    shown.add(m.messageId);
    print(formatMessage(m));
  };
  const formatNotice = (n: Notice) => `notice (${n.userId}, ${clock(n.setAt)}): ${n.text}`;
  const resolveRef = (ref: string | undefined): string => {
    if (!ref) throw new UserError('which message? give #n (as shown) or a message id');
    const n = /^#?(\d{1,6})$/.exec(ref);
    if (n) {
      const id = ids[Number(n[1]) - 1];
      if (!id) throw new UserError(`there is no message #${n[1]} on screen`);
      return id;
    }
    return ref;
  };

  const unsubscribe = client.onFrame((frame: ServerFrame) => {
    switch (frame.type) {
      case 'message':
        if (frame.message.roomId !== roomId) return;
        awaitingEcho.delete(frame.message.messageId);
        if (frame.message.userId !== options.userId) received++;
        showMessage(frame.message);
        break;
      case 'reaction':
        if (frame.roomId !== roomId) return;
        print(
          `* ${frame.userId} ${frame.added ? 'reacted' : 'removed'} ${frame.emoji} ${frame.added ? 'to' : 'from'} #${numberOf(frame.messageId)}`,
        );
        break;
      case 'notice':
        if (frame.notice.roomId === roomId) print(formatNotice(frame.notice));
        break;
      case 'error':
        // Errors that answer a request are printed by the command that made it.
        if (!frame.action) print(`error: ${frame.message} (${frame.code})`);
        break;
    }
  });

  const unsubscribeGaps = client.onGapFilled((room, messages, stillMissing) => {
    if (room !== roomId) return;
    if (messages.length > 0) {
      print(`(missed ${messages.length} message${messages.length === 1 ? '' : 's'}; filled from history)`);
      for (const m of messages) showMessage(m);
    }
    if (stillMissing) {
      print(`(message ${stillMissing} is still missing: it has not reached this region's history yet)`);
    }
  });

  try {
    const joined = await client.join(roomId);
    cursor = joined.cursor;
    print(
      `joined ${roomId} as ${options.userId}: ${joined.history.length} recent message${joined.history.length === 1 ? '' : 's'}${cursor ? ' (/history for older)' : ''}`,
    );
    if (joined.notice) print(formatNotice(joined.notice));
    for (const m of joined.history) showMessage(m);

    const run = async (line: string): Promise<'quit' | undefined> => {
      const text = line.trim();
      if (!text) return undefined;
      if (!text.startsWith('/')) {
        const ack = await client.send(roomId, text);
        sent++;
        numberOf(ack.messageId);
        if (!shown.has(ack.messageId)) awaitingEcho.add(ack.messageId);
        return undefined;
      }
      const [command, ...rest] = text.split(/\s+/);
      switch (command) {
        case '/quit':
        case '/exit':
          return 'quit';
        case '/help':
          print(CHAT_HELP);
          return undefined;
        case '/reply': {
          const parentId = resolveRef(rest[0]);
          const body = rest.slice(1).join(' ');
          if (!body) throw new UserError('usage: /reply <#n|messageId> <text>');
          const ack = await client.send(roomId, body, { parentId });
          sent++;
          numberOf(ack.messageId);
          if (!shown.has(ack.messageId)) awaitingEcho.add(ack.messageId);
          return undefined;
        }
        case '/react':
        case '/unreact': {
          const messageId = resolveRef(rest[0]);
          const emoji = rest[1];
          if (!emoji) throw new UserError(`usage: ${command} <#n|messageId> <emoji>`);
          await client.react(roomId, messageId, emoji, command === '/react');
          return undefined;
        }
        case '/notice': {
          const body = rest.join(' ');
          if (!body) throw new UserError('usage: /notice <text>');
          await client.notice(roomId, body);
          return undefined;
        }
        case '/history': {
          if (!cursor) {
            print('no older messages');
            return undefined;
          }
          const page = await client.history(roomId, { before: cursor });
          cursor = page.cursor;
          print(`older messages (${page.messages.length})${cursor ? '; /history for more' : ''}:`);
          for (const m of page.messages) {
            shown.add(m.messageId);
            print(formatMessage(m));
          }
          return undefined;
        }
        case '/ping': {
          const pong = await client.ping();
          print(`pong from ${pong.region} in ${Math.round(pong.rttMs)} ms`);
          return undefined;
        }
        default:
          throw new UserError(`unknown command ${command}; /help lists them`);
      }
    };

    const ended = await new Promise<ChatSessionResult['ended']>((resolve) => {
      const lines = createInterface({ input: options.input, terminal: false });
      const queue: string[] = [];
      let working = false;
      let eof = false;
      let done = false;
      const finish = (why: ChatSessionResult['ended']) => {
        if (done) return;
        done = true;
        lines.close();
        resolve(why);
      };
      const pump = async () => {
        if (working) return;
        working = true;
        while (queue.length > 0 && !done) {
          const line = queue.shift() as string;
          try {
            if ((await run(line)) === 'quit') finish('quit');
          } catch (error) {
            errors++;
            if (error instanceof ChatClientError && error.code === 'CLOSED') {
              finish('closed');
            } else print(`error: ${(error as Error).message}`);
          }
        }
        working = false;
        if (eof) finish('eof');
      };
      lines.on('line', (line) => {
        queue.push(line);
        void pump();
      });
      lines.on('close', () => {
        eof = true;
        if (!working) finish('eof');
      });
      void client.closed.then(() => finish('closed'));
      if (options.signal?.aborted) finish('quit');
      options.signal?.addEventListener('abort', () => finish('quit'), { once: true });
    });

    // What was sent is shown when its broadcast comes back; wait a little for the last ones.
    const drainUntil = Date.now() + (options.drainMs ?? 3000);
    while (ended !== 'closed' && awaitingEcho.size > 0 && client.isOpen && Date.now() < drainUntil) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (ended === 'closed') {
      const info = await client.closed;
      print(`connection closed (${info.code}${info.reason ? ` ${info.reason}` : ''})`);
    }
    return { roomId, sent, received, errors, ended };
  } finally {
    unsubscribe();
    unsubscribeGaps();
  }
}
