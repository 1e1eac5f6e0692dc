/**
 * A DNS server on UDP and TCP (one port for both, as DNS has it), its wire format encoded and decoded by
 * the dns-packet library. It answers from `answer` and reads the EDNS0 client-subnet option (RFC 7871)
 * when the query carries one, echoing it back with its scope, as Route 53 does. A query it cannot parse is
 * dropped on UDP (there is no ID to answer) and ends the TCP connection.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import * as dnsPacket from 'dns-packet';

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'REFUSED' | 'FORMERR' | 'NOTIMP';

export interface DnsRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  /** A: an address; SOA: "mname rname serial refresh retry expire minimum"; NS/CNAME: a name; TXT: text. */
  readonly data: string;
}

export interface DnsQuestion {
  readonly name: string;
  readonly type: string;
  /** The EDNS0 client subnet's address when the query has one, else the source address. */
  readonly clientIp: string;
  readonly clientSubnet?: { readonly ip: string; readonly sourcePrefixLength: number };
}

export interface DnsReply {
  readonly rcode: Rcode;
  readonly answers: readonly DnsRecord[];
  readonly authorities?: readonly DnsRecord[];
}

export interface DnsServer {
  readonly port: number;
  stop(): Promise<void>;
}

const MAX_UDP = 512;

/** The response codes (RFC 1035 section 4.1.1), carried in the header's low four flag bits. */
const RCODES: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

interface DnsServerOptions {
  readonly host: string;
  readonly port: number;
  answer(question: DnsQuestion): DnsReply;
}

/**
 * Starts the server on `options.port`. With port 0 the UDP socket picks a free port and TCP takes the same
 * one, which another TCP listener may already hold: then it tries again on a new port.
 */
export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnPort(options);
    } catch (error) {
      const taken = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (!taken || options.port !== 0 || attempt >= 10) throw error;
    }
  }
}

async function startOnPort(options: DnsServerOptions): Promise<DnsServer> {
  const reply = (query: Buffer, sourceIp: string, udp: boolean): Buffer | undefined => {
    let packet: dnsPacket.Packet;
    try {
      packet = dnsPacket.decode(query);
    } catch {
      return undefined;
    }
    return encodeReply(packet, sourceIp, udp, options.answer);
  };
  const udp = createSocket(options.host.includes(':') ? 'udp6' : 'udp4');
  udp.on('message', (message, remote) => {
    const out = reply(message, remote.address, true);
    if (out) udp.send(out, remote.port, remote.address);
  });
  udp.bind(options.port, options.host);
  await Promise.race([
    once(udp, 'listening'),
    once(udp, 'error').then(([error]) => {
      throw error;
    }),
  ]);
  const port = udp.address().port;
  const sockets = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      // Each message is preceded by its two-byte length (RFC 1035 section 4.2.2).
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const length = buffered.readUInt16BE(0);
        const out = reply(buffered.subarray(2, 2 + length), socket.remoteAddress ?? '127.0.0.1', false);
        buffered = buffered.subarray(2 + length);
        if (!out) {
          socket.destroy();
          return;
        }
        const framed = Buffer.alloc(2 + out.length);
        framed.writeUInt16BE(out.length, 0);
        out.copy(framed, 2);
        socket.write(framed);
      }
    });
  });
  tcp.listen(port, options.host);
  try {
    await Promise.race([
      once(tcp, 'listening'),
      once(tcp, 'error').then(([error]) => {
        throw error;
      }),
    ]);
  } catch (error) {
    udp.close();
    throw error;
  }
  return {
    port,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
    },
  };
}

function encodeReply(
  query: dnsPacket.Packet,
  sourceIp: string,
  udp: boolean,
  answer: (question: DnsQuestion) => DnsReply,
): Buffer {
  const question = query.questions?.[0];
  const opt = query.additionals?.find((r) => r.type === 'OPT') as dnsPacket.OptAnswer | undefined;
  const ecs = opt?.options?.find((o) => o.code === 8) as
    | { code: 8; family?: number; sourcePrefixLength?: number; ip?: string }
    | undefined;
  const flags = (rcode: Rcode, extra = 0) =>
    dnsPacket.AUTHORITATIVE_ANSWER |
    ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) |
    RCODES[rcode] |
    extra;
  const base = { id: query.id, type: 'response' as const, questions: question ? [question] : [] };
  const edns = opt
    ? [
        {
          type: 'OPT' as const,
          name: '.',
          udpPayloadSize: 4096,
          extendedRcode: 0,
          ednsVersion: 0,
          flag_do: false,
          flags: 0,
          options: ecs?.ip
            ? [
                {
                  code: 8 as const,
                  family: ecs.family ?? 1,
                  sourcePrefixLength: ecs.sourcePrefixLength ?? 24,
                  scopePrefixLength: ecs.sourcePrefixLength ?? 24,
                  ip: ecs.ip,
                },
              ]
            : [],
        },
      ]
    : [];
  if (!question || (query.questions?.length ?? 0) !== 1) {
    return dnsPacket.encode({ ...base, flags: flags('FORMERR'), additionals: edns });
  }
  const result = answer({
    name: question.name,
    type: question.type,
    clientIp: ecs?.ip ?? sourceIp.replace(/^::ffff:/, ''),
    ...(ecs?.ip ? { clientSubnet: { ip: ecs.ip, sourcePrefixLength: ecs.sourcePrefixLength ?? 24 } } : {}),
  });
  const packet: dnsPacket.Packet = {
    ...base,
    flags: flags(result.rcode),
    answers: result.answers.map(toAnswer),
    authorities: (result.authorities ?? []).map(toAnswer),
    additionals: edns,
  };
  const encoded = dnsPacket.encode(packet);
  const limit = udp ? Math.max(MAX_UDP, opt?.udpPayloadSize ?? MAX_UDP) : 65_535;
  if (encoded.length <= limit) return encoded;
  // Too big for UDP: the truncated flag sends the client to TCP.
  return dnsPacket.encode({
    ...base,
    flags: flags(result.rcode, dnsPacket.TRUNCATED_RESPONSE),
    additionals: edns,
  });
}

function toAnswer(record: DnsRecord): dnsPacket.Answer {
  const name = record.name.replace(/\.$/, '');
  if (record.type === 'SOA') {
    const [mname, rname, serial, refresh, retry, expire, minimum] = record.data.trim().split(/\s+/);
    return {
      type: 'SOA',
      name,
      ttl: record.ttl,
      data: {
        mname: mname.replace(/\.$/, ''),
        rname: rname.replace(/\.$/, ''),
        serial: Number(serial),
        refresh: Number(refresh),
        retry: Number(retry),
        expire: Number(expire),
        minimum: Number(minimum),
      },
    };
  }
  if (record.type === 'TXT') {
    return { type: 'TXT', name, ttl: record.ttl, data: record.data.replace(/^"|"$/g, '') };
  }
  return {
    type: record.type as 'A',
    name,
    ttl: record.ttl,
    data: record.type === 'A' || record.type === 'AAAA' ? record.data : record.data.replace(/\.$/, ''),
  };
}
