/**
 * `chatctl chat`: where to connect (a region directly, the region latency DNS would pick for users of
 * another region, or the China proxy), and a line-based terminal session on top of ChatClient.
 */
import { resolve4 } from 'node:dns/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { UserError } from '../../core/errors.js';
import { names, WEBSOCKET_STAGE } from '../../core/names.js';
import type { ChatMessage, Notice, ServerFrame } from '../../core/protocol.js';
import { findRegion } from '../../core/topology.js';
import { explainAwsError } from './aws-errors.js';
import { type ChatClient, ChatClientError } from './chat-client.js';
import { queryDns } from './dns-query.js';
import type { Target } from './target.js';

export type ChatVia = 'direct' | 'dns' | 'china';

export interface ChatEndpoint {
  readonly url: string;
  /** Where the URL's host is reached (a DNS answer); the URL keeps the name, as a user's client does. */
  readonly address?: string;
  /** The region key that serves the connection (undefined when unknown, e.g. behind the China proxy on AWS). */
  readonly region?: string;
  readonly via: ChatVia;
  /** How the endpoint was chosen, for the first line of the session ("connected <how>"). */
  readonly how: string;
}

export interface DnsAnswer {
  readonly region: string;
  readonly recordData: readonly string[];
  readonly clientSubnet: string;
  /** The DNS server that answered (host:port) and the record's TTL, when one did (the sandbox's). */
  readonly server?: string;
  readonly ttlSeconds?: number;
}

/**
 * The sandbox's answer as a user's resolver gets it: a query to its DNS server with the region's probe
 * subnet as the EDNS0 client subnet, the address mapped back to a region by sandbox.json.
 */
async function resolveBySandboxDns(target: Target, fromKey: string): Promise<DnsAnswer | undefined> {
  const dns = target.kind === 'sandbox' ? target.sandbox?.dns : undefined;
  if (!dns) return undefined;
  const from = findRegion(target.topology, fromKey);
  const recordName = names.chatRecord(target.topology);
  const response = await queryDns({
    server: { host: dns.host, port: dns.port },
    name: recordName,
    clientSubnet: from.probeSubnet,
  });
  const data = response.answers.filter((a) => a.type === 'A').map((a) => String(a.data));
  const region = Object.entries(dns.addresses).find(([, address]) => data.includes(address))?.[0];
  if (response.rcode !== 'NOERROR' || !region) {
    throw new UserError(
      `the sandbox's DNS server answered ${recordName} with ${response.rcode} ${data.join(', ') || '(no address)'}, which is no region's address`,
      { hint: 'run: chatctl health' },
    );
  }
  return {
    region,
    recordData: data,
    clientSubnet: from.probeSubnet,
    server: `${dns.host}:${dns.port}`,
    ttlSeconds: response.answers.find((a) => a.type === 'A')?.ttl,
  };
}

/**
 * Which region latency routing gives the users of `fromKey`: in the sandbox, its DNS server's answer; on
 * AWS, Route 53's TestDNSAnswer with that region's probe subnet as the EDNS0 client subnet, mapped back to
 * a region key by the latency record whose value it is, else by resolving each region's own domain.
 */
export async function resolveByDns(target: Target, fromKey: string): Promise<DnsAnswer> {
  const viaServer = await resolveBySandboxDns(target, fromKey);
  if (viaServer) return viaServer;
  const topology = target.topology;
  const from = findRegion(topology, fromKey);
  const [subnetIp, subnetMask] = from.probeSubnet.split('/');
  const { Route53Client, TestDNSAnswerCommand, ListResourceRecordSetsCommand } = await import(
    '@aws-sdk/client-route-53'
  );
  const client = new Route53Client(target.globalClientConfig());
  const recordName = names.chatRecord(topology);
  try {
    const answer = await client.send(
      new TestDNSAnswerCommand({
        HostedZoneId: topology.hostedZone.id,
        RecordName: recordName,
        RecordType: 'A',
        EDNS0ClientSubnetIP: subnetIp,
        EDNS0ClientSubnetMask: subnetMask,
      }),
    );
    const data = answer.RecordData ?? [];
    if (answer.ResponseCode !== 'NOERROR' || data.length === 0) {
      throw new UserError(
        `Route 53 has no answer for ${recordName} (${answer.ResponseCode ?? 'no response code'})`,
        { hint: 'are the latency records deployed? run: chatctl health' },
      );
    }
    const records = await client.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: topology.hostedZone.id,
        StartRecordName: recordName,
        StartRecordType: 'A',
      }),
    );
    const wanted = `${recordName}.`;
    for (const record of records.ResourceRecordSets ?? []) {
      if (record.Name !== wanted || !record.SetIdentifier) continue;
      const values = (record.ResourceRecords ?? []).map((r) => r.Value);
      if (data.some((d) => values.includes(d))) {
        return { region: record.SetIdentifier, recordData: data, clientSubnet: from.probeSubnet };
      }
    }
    for (const region of topology.regions) {
      const addresses = await resolve4(names.regionalDomain(topology, region.key)).catch(
        () => [] as string[],
      );
      if (data.some((d) => addresses.includes(d))) {
        return { region: region.key, recordData: data, clientSubnet: from.probeSubnet };
      }
    }
    throw new UserError(`Route 53 answered ${data.join(', ')}, which is no region's address`, {
      hint: `check the latency records of ${recordName}: chatctl health`,
    });
  } catch (error) {
    throw explainAwsError(error, `resolving ${recordName} for users in ${fromKey}`);
  } finally {
    client.destroy();
  }
}

/**
 * The global name, wss://chat.<domain>/prod, as a client that latency DNS sent to region `key` reaches it: the
 * URL carries the global name (TLS, certificate and Host check are those of chat.<domain>, which every region's
 * API Gateway holds), and the address is DNS's answer. In the sandbox each region's gateway is a port of
 * 127.0.0.1 that answers for chat.<domain> by Host.
 */
export function globalNameEndpoint(
  target: Target,
  key: string,
  answered: readonly string[] = [],
): { url: string; address?: string } {
  const name = names.chatRecord(target.topology);
  if (target.kind === 'sandbox') {
    const port = new URL(target.region(key).websocketUrl).port;
    return { url: `ws://${name}:${port}/${WEBSOCKET_STAGE}`, address: '127.0.0.1' };
  }
  return { url: `wss://${name}/${WEBSOCKET_STAGE}`, address: answered[0] };
}

/** The China proxy's WebSocket URL: sandbox.json in the sandbox, the distribution's domain on AWS. */
export async function chinaUrl(target: Target): Promise<string> {
  if (!target.topology.china.enabled) {
    throw new UserError('the China proxy is not enabled in chatctl.json', {
      hint: 'set china.enabled to true and deploy it (or use --via direct)',
    });
  }
  if (target.kind === 'sandbox') {
    const url = target.sandbox?.china?.url;
    if (!url) {
      throw new UserError('the running sandbox has no China proxy', {
        hint: 'restart it: chatctl sandbox down && chatctl sandbox up --detach',
      });
    }
    return url;
  }
  const { CloudFrontClient, ListDistributionsCommand } = await import('@aws-sdk/client-cloudfront');
  const client = new CloudFrontClient(target.globalClientConfig());
  const comment = names.chinaDistributionComment(target.topology);
  try {
    let marker: string | undefined;
    do {
      const page = await client.send(new ListDistributionsCommand({ Marker: marker }));
      const found = page.DistributionList?.Items?.find((d) => d.Comment === comment);
      if (found?.DomainName) return `wss://${found.DomainName}/${WEBSOCKET_STAGE}`;
      marker = page.DistributionList?.IsTruncated ? page.DistributionList.NextMarker : undefined;
    } while (marker);
  } catch (error) {
    throw explainAwsError(error, 'finding the China proxy distribution');
  } finally {
    client.destroy();
  }
  throw new UserError(`no CloudFront distribution with the comment "${comment}"`, {
    hint: 'deploy the China proxy: chatctl deploy',
  });
}

export async function resolveChatEndpoint(
  target: Target,
  options: { via: ChatVia; region?: string; from?: string },
): Promise<ChatEndpoint> {
  if (options.via === 'china') {
    return { url: await chinaUrl(target), via: 'china', how: 'through the China proxy' };
  }
  if (options.via === 'dns') {
    const from = options.from ?? options.region ?? target.topology.homeRegion;
    const answer = await resolveByDns(target, from);
    return {
      ...globalNameEndpoint(target, answer.region, answer.recordData),
      region: answer.region,
      via: 'dns',
      how: `to ${answer.region} (latency DNS for users in ${from}, ${answer.clientSubnet}, answered ${answer.recordData.join(', ')}${answer.server ? ` by ${answer.server}, TTL ${answer.ttlSeconds} s` : ''})`,
    };
  }
  const key = options.region ?? target.topology.homeRegion;
  return { url: target.region(key).websocketUrl, region: key, via: 'direct', how: `to region ${key}` };
}

// ---- the terminal session ----

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

  const unsubscribeGaps = client.onGapFilled((room, messages) => {
    if (room !== roomId) return;
    print(`(missed ${messages.length} message${messages.length === 1 ? '' : 's'}; filled from history)`);
    for (const m of messages) showMessage(m);
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
