/**
 * The China proxy: a CloudFront-like port that forwards HTTP requests and WebSocket upgrades to the
 * origin its distribution currently names, adding CloudFront's Via and X-Amz-Cf-Id headers toward the
 * origin. The origin is looked up for every new request or connection, so moving the distribution's
 * origin moves where new connections go (open ones stay where they are, as with CloudFront).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { foreignHostMessage, hostNamesListener } from '../../host-check.js';
import { nullObject } from '../../wire/keys.js';
import { escapeXml } from '../../wire/xml.js';

export interface ProxyOrigin {
  /** The origin's domain (sent as Host, as CloudFront does with an all-viewer-except-Host policy). */
  readonly domainName: string;
  readonly host: string;
  readonly port: number;
}

export interface ChinaProxyOptions {
  /** The distribution's current origin, or undefined when it names nothing that runs here. */
  readonly resolveOrigin: () => ProxyOrigin | undefined;
  readonly host?: string;
  readonly port?: number;
}

/** Hop-by-hop headers a proxy does not forward on plain HTTP. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function cfId(): string {
  return randomBytes(42).toString('base64url');
}

export class ChinaProxy {
  /** The edge server's name in the Via header: `1.1 <edge>.cloudfront.net (CloudFront)`. */
  readonly via = `1.1 ${randomBytes(16).toString('hex')}.cloudfront.net (CloudFront)`;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private listeningPort = 0;

  constructor(private readonly options: ChinaProxyOptions) {
    this.server = createServer((req, res) => {
      if (this.foreignHost(req)) {
        req.resume();
        this.cloudFrontError(res, 403, escapeXml(foreignHostMessage(req.headers.host)));
      } else this.forwardHttp(req, res);
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (this.foreignHost(req)) {
        const body = foreignHostMessage(req.headers.host);
        socket.end(
          `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
        return;
      }
      this.forwardUpgrade(req, socket, head);
    });
    this.server.on('connection', (socket: Socket) => this.track(socket));
  }

  get port(): number {
    return this.listeningPort;
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.listeningPort = (this.server.address() as AddressInfo).port;
    return this.listeningPort;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A viewer's Host must be this proxy's own (loopback at its port): the DNS-rebinding defence. */
  private foreignHost(req: IncomingMessage): boolean {
    return !hostNamesListener(req.headers.host, { port: this.listeningPort, address: this.options.host });
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private originHeaders(
    req: IncomingMessage,
    origin: ProxyOrigin,
    keepHopByHop: boolean,
  ): [string, string][] {
    const out: [string, string][] = [];
    const raw = req.rawHeaders;
    let via: string | undefined;
    let forwardedFor: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      const lower = name.toLowerCase();
      if (lower === 'host' || lower === 'x-amz-cf-id') continue;
      if (lower === 'via') {
        via = via ? `${via}, ${raw[i + 1]}` : raw[i + 1];
        continue;
      }
      if (lower === 'x-forwarded-for') {
        forwardedFor = raw[i + 1];
        continue;
      }
      if (!keepHopByHop && HOP_BY_HOP.has(lower)) continue;
      out.push([name, raw[i + 1]]);
    }
    const client = req.socket.remoteAddress ?? '127.0.0.1';
    out.unshift(['Host', origin.domainName]);
    out.push(['Via', via ? `${via}, ${this.via}` : this.via]);
    out.push(['X-Amz-Cf-Id', cfId()]);
    out.push(['X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${client}` : client]);
    out.push(['CloudFront-Viewer-Country', 'CN']);
    return out;
  }

  private forwardHttp(req: IncomingMessage, res: ServerResponse): void {
    const origin = this.options.resolveOrigin();
    if (!origin) {
      this.cloudFrontError(res, 502, 'The request could not be satisfied: the origin is not reachable.');
      return;
    }
    const headers = this.originHeaders(req, origin, false);
    const upstream = request(
      {
        host: origin.host,
        port: origin.port,
        method: req.method,
        path: req.url,
        headers: headers.flat() as unknown as Record<string, string>,
      },
      (upstreamRes) => {
        const responseHeaders = nullObject<string | string[]>();
        for (const [name, value] of Object.entries(upstreamRes.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) responseHeaders[name] = value;
        }
        responseHeaders.via = this.via;
        responseHeaders['x-cache'] = 'Miss from cloudfront';
        responseHeaders['x-amz-cf-pop'] = 'PVG52-P1';
        responseHeaders['x-amz-cf-id'] = cfId();
        res.writeHead(upstreamRes.statusCode ?? 502, responseHeaders);
        upstreamRes.pipe(res);
      },
    );
    upstream.setTimeout(30_000, () => upstream.destroy(new Error('origin read timeout')));
    upstream.on('error', () => {
      if (!res.headersSent)
        this.cloudFrontError(
          res,
          502,
          'The request could not be satisfied: CloudFront could not connect to the origin.',
        );
      else res.destroy();
    });
    req.pipe(upstream);
  }

  private cloudFrontError(res: ServerResponse, status: number, message: string): void {
    res.writeHead(status, {
      'content-type': 'text/html',
      via: this.via,
      'x-cache': 'Error from cloudfront',
      'x-amz-cf-id': cfId(),
    });
    res.end(
      `<html><head><title>ERROR: The request could not be satisfied</title></head><body><h1>${status} ERROR</h1><p>${message}</p></body></html>`,
    );
  }

  private forwardUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const origin = this.options.resolveOrigin();
    const refuse = (status: string) => {
      socket.end(
        `HTTP/1.1 ${status}\r\nVia: ${this.via}\r\nX-Cache: Error from cloudfront\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
    };
    if (!origin) {
      refuse('502 Bad Gateway');
      return;
    }
    const upstream = connect(origin.port, origin.host);
    this.track(upstream);
    let connected = false;
    upstream.setNoDelay(true);
    socket.setNoDelay(true);
    upstream.once('connect', () => {
      connected = true;
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (const [name, value] of this.originHeaders(req, origin, true)) lines.push(`${name}: ${value}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => {
      if (!connected) refuse('502 Bad Gateway');
      else socket.destroy();
    });
    socket.on('error', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  }
}
