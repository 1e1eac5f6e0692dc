/**
 * Where `chatctl chat` connects: a region directly, the region latency DNS picks for the users of a region
 * (the sandbox's DNS server, or TestDNSAnswer on AWS, from its probe subnet), or the China proxy.
 */
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import { findRegion } from '../../../core/topology.js';
import { cloudfrontClient, route53Client, withClient } from '../aws/clients.js';
import { findChinaDistribution, requireChinaProxyUrl } from '../aws/cloudfront.js';
import { explainAwsError } from '../aws/errors.js';
import { type DnsAnswer, whereUsersGo } from '../aws/route53.js';
import type { Target } from '../target.js';
import { queryDns } from './dns-query.js';

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

/** A latency answer mapped to its region, with the DNS server that answered and the TTL when one did. */
export type ResolvedDnsAnswer = DnsAnswer & {
  readonly region: string;
  /** The DNS server that answered (host:port) and the record's TTL (the sandbox's). */
  readonly server?: string;
  readonly ttlSeconds?: number;
};

/**
 * The sandbox's answer as a user's resolver gets it: a query to its DNS server with the region's probe
 * subnet as the EDNS0 client subnet, the address mapped back to a region by sandbox.json.
 */
async function resolveBySandboxDns(target: Target, fromKey: string): Promise<ResolvedDnsAnswer | undefined> {
  const dns = target.sandbox?.dns;
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
    records: data,
    responseCode: response.rcode,
    clientSubnet: from.probeSubnet,
    server: `${dns.host}:${dns.port}`,
    ttlSeconds: response.answers.find((a) => a.type === 'A')?.ttl,
  };
}

/**
 * Which region latency routing gives the users of `fromKey`: in the sandbox, its DNS server's answer; on
 * AWS, Route 53's TestDNSAnswer from the region's probe subnet; a sentence when there is no usable answer.
 */
export async function resolveByDns(target: Target, fromKey: string): Promise<ResolvedDnsAnswer> {
  const viaServer = await resolveBySandboxDns(target, fromKey);
  if (viaServer) return viaServer;
  const recordName = names.chatRecord(target.topology);
  const answer = await withClient(route53Client(target), (client) =>
    whereUsersGo(target, client, fromKey),
  ).catch((error) =>
    Promise.reject(explainAwsError(error, `resolving ${recordName} for users in ${fromKey}`)),
  );
  if (answer.responseCode !== 'NOERROR' || answer.records.length === 0) {
    throw new UserError(
      `Route 53 has no answer for ${recordName} (${answer.responseCode ?? 'no response code'})`,
      { hint: 'are the latency records deployed? run: chatctl health' },
    );
  }
  if (!answer.region) {
    throw new UserError(`Route 53 answered ${answer.records.join(', ')}, which is no region's address`, {
      hint: `check the latency records of ${recordName}: chatctl health`,
    });
  }
  return { ...answer, region: answer.region };
}

/** The China proxy's WebSocket URL: the sandbox's own, or the distribution's domain on AWS. */
export async function chinaUrl(target: Target): Promise<string> {
  if (!target.topology.china.enabled) {
    throw new UserError('the China proxy is not enabled in chatctl.json', {
      hint: 'set china.enabled to true and deploy it (or use --via direct)',
    });
  }
  // The sandbox knows its proxy's address without a distribution; on AWS it is the distribution's domain.
  const known = target.chinaProxyUrl(undefined);
  if (known) return known;
  const found = await withClient(cloudfrontClient(target), (client) => findChinaDistribution(target, client));
  if (!found) {
    throw new UserError(
      `no CloudFront distribution with the comment "${names.chinaDistributionComment(target.topology)}"`,
      { hint: 'deploy the China proxy: chatctl deploy' },
    );
  }
  return requireChinaProxyUrl(target, found.DomainName);
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
      ...target.globalEndpoint(answer.region, answer.records),
      region: answer.region,
      via: 'dns',
      how: `to ${answer.region} (latency DNS for users in ${from}, ${answer.clientSubnet}, answered ${answer.records.join(', ')}${answer.server ? ` by ${answer.server}, TTL ${answer.ttlSeconds} s` : ''})`,
    };
  }
  const key = options.region ?? target.topology.homeRegion;
  return { url: target.region(key).websocketUrl, region: key, via: 'direct', how: `to region ${key}` };
}
