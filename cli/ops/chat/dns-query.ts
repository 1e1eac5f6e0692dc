/**
 * A DNS query as a stub resolver sends it (over UDP, with the EDNS0 client-subnet option when a subnet is
 * given; over TCP when asked or when the answer comes back truncated), encoded and decoded by dns-packet.
 */
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { UserError } from '../../../core/errors.js';

export interface DnsQueryOptions {
  readonly server: { readonly host: string; readonly port: number };
  readonly name: string;
  readonly type?: string;
  /** e.g. 133.242.0.0/24: sent as the EDNS0 client subnet (RFC 7871). */
  readonly clientSubnet?: string;
  readonly tcp?: boolean;
  readonly timeoutMs?: number;
}

export interface DnsAnswerRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly data: unknown;
}

export interface DnsResponse {
  readonly rcode: string;
  readonly authoritative: boolean;
  readonly answers: readonly DnsAnswerRecord[];
  readonly authorities: readonly DnsAnswerRecord[];
  /** The client subnet's scope the server answered for (undefined without the option). */
  readonly scopePrefixLength?: number;
}

export async function queryDns(options: DnsQueryOptions): Promise<DnsResponse> {
  const query = encodeQuery(options);
  const raw = options.tcp ? await overTcp(options, query) : await overUdp(options, query);
  const packet = dnsPacket.decode(raw);
  if (!options.tcp && (packet.flags ?? 0) & dnsPacket.TRUNCATED_RESPONSE) {
    return queryDns({ ...options, tcp: true });
  }
  const opt = packet.additionals?.find((r) => r.type === 'OPT') as dnsPacket.OptAnswer | undefined;
  const ecs = opt?.options?.find((o) => o.code === 8) as { scopePrefixLength?: number } | undefined;
  const records = (list: readonly dnsPacket.Answer[] | undefined) =>
    (list ?? []).map((r) => ({
      name: r.name,
      type: r.type,
      ttl: (r as { ttl?: number }).ttl ?? 0,
      data: (r as { data?: unknown }).data,
    }));
  return {
    rcode: (packet as { rcode?: string }).rcode ?? 'NOERROR',
    authoritative: ((packet.flags ?? 0) & dnsPacket.AUTHORITATIVE_ANSWER) !== 0,
    answers: records(packet.answers),
    authorities: records(packet.authorities),
    ...(ecs?.scopePrefixLength !== undefined ? { scopePrefixLength: ecs.scopePrefixLength } : {}),
  };
}

function encodeQuery(options: DnsQueryOptions): Buffer {
  const [ip, bits] = (options.clientSubnet ?? '').split('/');
  const subnet = options.clientSubnet
    ? [{ code: 8 as const, family: 1, sourcePrefixLength: Number(bits ?? 24), scopePrefixLength: 0, ip }]
    : [];
  return dnsPacket.encode({
    type: 'query',
    id: Math.floor(Math.random() * 65_535),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: (options.type ?? 'A') as 'A', name: options.name }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 0,
        flag_do: false,
        flags: 0,
        options: subnet,
      },
    ],
  });
}

function noAnswer(options: DnsQueryOptions, reason: string): UserError {
  return new UserError(
    `the DNS server at ${options.server.host}:${options.server.port} did not answer ${options.name} (${reason})`,
    { hint: 'is the sandbox running? run: chatctl sandbox status' },
  );
}

function overUdp(options: DnsQueryOptions, query: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(options.server.host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(noAnswer(options, 'timed out'));
    }, options.timeoutMs ?? 3000);
    socket.once('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.close();
      reject(noAnswer(options, error.message));
    });
    socket.send(query, options.server.port, options.server.host);
  });
}

function overTcp(options: DnsQueryOptions, query: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(options.server.port, options.server.host);
    socket.setTimeout(options.timeoutMs ?? 3000, () => {
      socket.destroy();
      reject(noAnswer(options, 'timed out'));
    });
    let buffered = Buffer.alloc(0);
    socket.on('connect', () => {
      const framed = Buffer.alloc(2 + query.length);
      framed.writeUInt16BE(query.length, 0);
      query.copy(framed, 2);
      socket.write(framed);
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        socket.end();
        resolve(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      }
    });
    socket.on('error', (error) => reject(noAnswer(options, error.message)));
  });
}
