/**
 * Route 53's state in the sandbox: one public hosted zone's record sets, the health checks with their
 * checkers, and the changes made. Each running region is seeded from the deployed system's model
 * (core/deployment/route53.ts, the one the stacks build from): its /health check, with the canary a
 * CLOUDWATCH_METRIC check on each judge's alarm and the CALCULATED routing check over those
 * (core/routing-health.ts), its own names and its latency A record for the chat name on the routing check,
 * each record's loopback address standing for that region's gateway.
 */
import { randomUUID } from 'node:crypto';
import { regionHealthChecks, regionRecords } from '../../../core/deployment/route53.js';
import { names } from '../../../core/names.js';
import type { Topology } from '../../../core/topology.js';
import type { RegionRuntimeInfo } from '../../contracts.js';
import { normalizeName } from '../../dns-name.js';
import { ServiceError } from '../../wire/service-error.js';
import {
  child,
  children,
  childText,
  cloneElement,
  toElement,
  type XmlElement,
  type XmlNode,
} from '../../wire/xml.js';
import type { AlarmStateValue } from '../service.js';
import { AlarmCheck, CalculatedCheck, type CheckStatus } from './derived-checks.js';
import { HealthChecker } from './health-checker.js';
import type { ProbeTarget, ProbeTiming } from './probe.js';
import { type HealthCheckConfig, healthCheckConfig } from './seed.js';

export type { HealthCheckConfig } from './seed.js';

export const NAME_SERVERS = [
  'ns-1.awsdns-00.com',
  'ns-513.awsdns-00.net',
  'ns-1025.awsdns-00.org',
  'ns-1537.awsdns-00.co.uk',
];

export interface RecordSet {
  readonly element: XmlElement;
  readonly name: string;
  readonly type: string;
  readonly setIdentifier?: string;
  readonly region?: string;
  readonly healthCheckId?: string;
  readonly values: readonly string[];
  readonly aliasDnsName?: string;
}

export interface HealthCheckEntry {
  readonly id: string;
  readonly callerReference: string;
  readonly config: HealthCheckConfig;
  version: number;
  readonly checker: CheckStatus;
}

interface SeededRegion {
  readonly info: RegionRuntimeInfo;
  /** The A record's value: a loopback address that stands for this region's gateway. */
  readonly address: string;
  /** The check on its latency record: the /health check, or the CALCULATED one over it and the canary's. */
  readonly healthCheckId: string;
  /** Every check seeded for the region. */
  readonly checkIds: readonly string[];
}

export interface Route53StoreOptions {
  readonly topology: () => Topology;
  /** How often the checkers probe (the sandbox's short interval, whatever RequestInterval says). */
  readonly healthCheckIntervalMs: number;
  readonly failureThreshold: number;
  /** The TTL of the records created for each region (the sandbox's: dns-name.ts SANDBOX_DNS_TTL_SECONDS). */
  readonly dnsTtlSeconds: number;
  readonly probeTiming?: ProbeTiming;
  /**
   * The canary runs: each region is seeded as the stacks deploy it with the canary, a CLOUDWATCH_METRIC check
   * on its canary alarm and a CALCULATED check over both (threshold 2) on the latency record.
   */
  readonly canary?: boolean;
  /** A CloudWatch alarm's state, for CLOUDWATCH_METRIC checks. */
  readonly alarmState?: (awsRegion: string, alarmName: string) => AlarmStateValue | undefined;
}

/** Route 53 lists record sets by name with its labels reversed (com.example.chat), then type, then identifier. */
export function sortKey(record: { name: string; type: string; setIdentifier?: string }): string {
  const reversed = record.name.replace(/\.$/, '').split('.').reverse().join('.');
  return `${reversed}\u0000${record.type}\u0000${record.setIdentifier ?? ''}`;
}

export function identity(record: { name: string; type: string; setIdentifier?: string }): string {
  return `${record.name}|${record.type}|${record.setIdentifier ?? ''}`;
}

export function bad(message: string): never {
  throw new ServiceError(400, 'InvalidInput', message);
}

export class Route53Store {
  readonly hostedZoneId: string;
  readonly zoneName: string;
  readonly records = new Map<string, RecordSet>();
  readonly healthChecks = new Map<string, HealthCheckEntry>();
  readonly changes = new Map<string, Date>();
  private readonly regions = new Map<string, SeededRegion>();
  private nextAddress = 2;

  constructor(private readonly options: Route53StoreOptions) {
    const topology = options.topology();
    this.hostedZoneId = topology.hostedZone.id;
    this.zoneName = normalizeName(topology.hostedZone.name);
    const soa = `${NAME_SERVERS[0]}. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400`;
    const ns = NAME_SERVERS.map((name) => `${name}.`);
    this.putRecord(recordFromNodes(this.zoneName, 'NS', undefined, 172800, ns));
    this.putRecord(recordFromNodes(this.zoneName, 'SOA', undefined, 900, [soa]));
  }

  get topology(): Topology {
    return this.options.topology();
  }

  /**
   * Seeds a region as its stack deploys it (core/deployment/route53.ts, through ./seed.ts): its checks (found by
   * their CallerReference, the Name tag on AWS), its latency record on the routing check, its own names.
   */
  addRegion(info: RegionRuntimeInfo): void {
    if (this.regions.has(info.key)) this.removeRegion(info.key);
    const topology = this.topology;
    const checks = regionHealthChecks(topology, info.key, { canary: this.options.canary === true });
    const references = new Set(checks.map((c) => c.reference));
    for (const existing of [...this.healthChecks.values()]) {
      if (references.has(existing.callerReference)) this.deleteHealthCheck(existing.id);
    }
    const ids = new Map<string, string>();
    for (const check of checks) {
      const entry = this.createHealthCheck(check.reference, healthCheckConfig(check, ids), {
        failureThreshold: this.options.failureThreshold,
      });
      ids.set(check.reference, entry.id);
    }
    const address = `127.0.0.${this.nextAddress++}`;
    const records = regionRecords(topology, info.key, { canary: this.options.canary === true });
    const routingId = ids.get(records.find((r) => r.healthCheckReference)?.healthCheckReference ?? '') ?? '';
    this.regions.set(info.key, { info, address, healthCheckId: routingId, checkIds: [...ids.values()] });
    for (const record of records) {
      this.putRecord(
        recordFromNodes(
          normalizeName(record.name),
          record.type,
          record.setIdentifier,
          this.options.dnsTtlSeconds,
          [address],
          {
            region: record.region,
            healthCheckId: record.healthCheckReference ? ids.get(record.healthCheckReference) : undefined,
          },
        ),
      );
    }
  }

  removeRegion(key: string): void {
    const region = this.regions.get(key);
    if (!region) return;
    this.regions.delete(key);
    const own = regionalNames(this.topology, key);
    for (const [id, record] of this.records) {
      if (
        record.healthCheckId === region.healthCheckId ||
        (record.setIdentifier === key && record.region) ||
        own.includes(record.name)
      ) {
        this.records.delete(id);
      }
    }
    for (const id of region.checkIds) this.deleteHealthCheck(id);
  }

  /** Each region's address in the zone's records (127.0.0.2, .3, ... as regions were added), by region key. */
  regionAddresses(): Record<string, string> {
    return Object.fromEntries([...this.regions.entries()].map(([key, r]) => [key, r.address]));
  }

  /** The id of the health check made for a region (undefined for a region not seeded). */
  regionHealthCheckId(key: string): string | undefined {
    return this.regions.get(key)?.healthCheckId;
  }

  /** Where clients are: each seeded region's probe subnet and AWS region. */
  locations(): { subnet: string; awsRegion: string }[] {
    const specs = this.topology.regions;
    return [...this.regions.values()].map((r) => ({
      subnet: specs.find((s) => s.key === r.info.key)?.probeSubnet ?? '',
      awsRegion: r.info.awsRegion,
    }));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.healthChecks.values()].map((h) => h.checker.stop()));
  }

  /** Throws NoSuchHostedZone unless the id (bare or /hostedzone/ID) is the sandbox's zone. */
  requireZone(id: string): void {
    const bare = id.replace(/^\/?hostedzone\//, '');
    if (bare !== this.hostedZoneId) {
      throw new ServiceError(404, 'NoSuchHostedZone', `No hosted zone found with ID: ${bare}`);
    }
  }

  putRecord(record: RecordSet): void {
    this.records.set(identity(record), record);
  }

  sortedRecords(): RecordSet[] {
    return [...this.records.values()].sort((a, b) =>
      sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0,
    );
  }

  healthCheck(id: string): HealthCheckEntry {
    const entry = this.healthChecks.get(id);
    if (!entry) {
      throw new ServiceError(404, 'NoSuchHealthCheck', `A health check with id ${id} does not exist.`);
    }
    return entry;
  }

  /** A record without a health check is healthy; one whose check is gone too (Route 53 fails open). */
  isRecordHealthy(record: RecordSet): boolean {
    if (!record.healthCheckId) return true;
    const check = this.healthChecks.get(record.healthCheckId);
    return check ? check.checker.healthy : true;
  }

  /**
   * `checking.failureThreshold`: the failures in a row the checker counts, when it is not the config's (a seeded
   * check serves the deployed config and is checked on the sandbox's faster timing).
   */
  createHealthCheck(
    callerReference: string,
    config: HealthCheckConfig,
    checking: { readonly failureThreshold?: number } = {},
  ): HealthCheckEntry {
    const id = randomUUID();
    const entry: HealthCheckEntry = {
      id,
      callerReference,
      config,
      version: 1,
      checker: this.checkerFor(config, checking),
    };
    this.healthChecks.set(id, entry);
    entry.checker.start();
    return entry;
  }

  /** An endpoint check probes; CLOUDWATCH_METRIC follows its alarm; CALCULATED counts its children. */
  private checkerFor(
    config: HealthCheckConfig,
    checking: { readonly failureThreshold?: number },
  ): CheckStatus {
    const settings = () => ({ inverted: config.Inverted, disabled: config.Disabled });
    if (config.Type === 'CLOUDWATCH_METRIC') {
      return new AlarmCheck({
        alarm: () => ({
          region: config.AlarmIdentifier?.Region ?? '',
          name: config.AlarmIdentifier?.Name ?? '',
        }),
        state: (region, name) => this.options.alarmState?.(region, name),
        insufficient: () => config.InsufficientDataHealthStatus ?? 'LastKnownStatus',
        settings,
      });
    }
    if (config.Type === 'CALCULATED') {
      return new CalculatedCheck({
        children: () => (config.ChildHealthChecks ?? []).map((id) => this.healthChecks.get(id)?.checker),
        threshold: () => config.HealthThreshold ?? (config.ChildHealthChecks ?? []).length,
        settings,
      });
    }
    return new HealthChecker({
      intervalMs: this.options.healthCheckIntervalMs,
      timing: this.options.probeTiming,
      target: () => this.probeTarget(config),
      settings: () => ({
        failureThreshold: checking.failureThreshold ?? config.FailureThreshold,
        inverted: config.Inverted,
        disabled: config.Disabled,
      }),
    });
  }

  deleteHealthCheck(id: string): void {
    const entry = this.healthChecks.get(id);
    if (!entry) return;
    this.healthChecks.delete(id);
    void entry.checker.stop();
  }

  /**
   * Where a check's endpoint is on this machine: each region's domains and record address stand for its
   * gateway; 127.0.0.1 is probed at the configured Port; anything else cannot be reached from the sandbox.
   */
  probeTarget(config: HealthCheckConfig): ProbeTarget {
    const path = config.ResourcePath ?? '/';
    const check = { type: config.Type, searchString: config.SearchString };
    const at = (port: number, ipAddress: string): ProbeTarget => ({
      ...check,
      url: `http://127.0.0.1:${port}${path}`,
      host: '127.0.0.1',
      port,
      ipAddress,
    });
    const byHost = (host: string | undefined) => {
      if (!host) return undefined;
      const h = normalizeName(host);
      for (const region of this.regions.values()) {
        const domains = [
          names.regionalDomain(this.topology, region.info.key),
          names.regionalHealthDomain(this.topology, region.info.key),
        ].map(normalizeName);
        if (domains.includes(h) || host === region.address) return region.info.gatewayPort;
      }
      return undefined;
    };
    if (config.IPAddress) {
      if (config.IPAddress === '127.0.0.1') {
        return at(config.Port ?? (config.Type.startsWith('HTTPS') ? 443 : 80), '127.0.0.1');
      }
      const port = byHost(config.IPAddress);
      if (port !== undefined) return at(port, config.IPAddress);
      return {
        ...check,
        ipAddress: config.IPAddress,
        unresolved:
          'Connection timed out. The endpoint or the internet connection is down, or requests are being blocked by your firewall.',
      };
    }
    const port = byHost(config.FullyQualifiedDomainName);
    if (port !== undefined) return at(port, '127.0.0.1');
    return {
      ...check,
      ipAddress: '0.0.0.0',
      unresolved: `Resolved IP: none. ${config.FullyQualifiedDomainName ?? ''} does not resolve in the sandbox.`,
    };
  }
}

function regionalNames(topology: Topology, key: string): string[] {
  return [names.regionalDomain(topology, key), names.regionalHealthDomain(topology, key)].map(normalizeName);
}

function recordFromNodes(
  name: string,
  type: string,
  setIdentifier: string | undefined,
  ttl: number,
  values: string[],
  extra: { region?: string; healthCheckId?: string } = {},
): RecordSet {
  const element = toElement('ResourceRecordSet', [
    ['Name', name],
    ['Type', type],
    ['SetIdentifier', setIdentifier],
    ['Region', extra.region],
    ['TTL', ttl],
    ['ResourceRecords', values.map((v) => ['ResourceRecord', [['Value', v]]] as XmlNode)],
    ['HealthCheckId', extra.healthCheckId],
  ]);
  return recordFromElement(element);
}

export function recordFromElement(element: XmlElement): RecordSet {
  const name = childText(element, 'Name');
  const type = childText(element, 'Type');
  if (!name) bad('Invalid request: a ResourceRecordSet has no Name');
  if (!type) bad('Invalid request: a ResourceRecordSet has no Type');
  const stored = cloneElement(element);
  const nameElement = child(stored, 'Name');
  if (nameElement) nameElement.text = normalizeName(name as string);
  return {
    element: stored,
    name: normalizeName(name as string),
    type: (type as string).trim(),
    setIdentifier: childText(element, 'SetIdentifier'),
    region: childText(element, 'Region'),
    healthCheckId: childText(element, 'HealthCheckId'),
    values: children(child(element, 'ResourceRecords'), 'ResourceRecord').map(
      (r) => childText(r, 'Value') ?? '',
    ),
    aliasDnsName: childText(element, 'AliasTarget', 'DNSName'),
  };
}
