/**
 * Over 400 lines because the schema, its messages that name the field and the atomic file I/O stay in the one
 * module that may read the file.
 *
 * The topology: `chatctl.json`, the one source of truth for the CLI, the CDK app and the sandbox.
 * This module is the only code that reads or writes that file.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, lstat, open, readFile, readlink, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { COMMERCIAL_AWS_REGIONS, isCommercialAwsRegion } from './aws-regions.js';
import { UserError } from './errors.js';
import { locateTopology, TOPOLOGY_FILE } from './project.js';
import { ROUTES, type Route } from './protocol.js';
import { closest } from './suggest.js';
import { USER_POOL_ID } from './user-pool.js';

export { TOPOLOGY_FILE };

const REGION_KEY = /^[a-z][a-z0-9]{1,11}$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

export function isCidr(value: string): boolean {
  const match = CIDR.exec(value);
  if (!match) return false;
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  return octets.every((n) => n <= 255) && bits >= 8 && bits <= 32;
}

/** The first and last address of an IPv4 CIDR, as numbers. */
function cidrRange(cidr: string): [number, number] {
  const [address, bits] = cidr.split('/');
  const value = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  const first = Math.floor(value / size) * size;
  return [first, first + size - 1];
}

/** Whether two CIDRs share an address: a client in both would stand for two regions' users at once. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [aFirst, aLast] = cidrRange(a);
  const [bFirst, bLast] = cidrRange(b);
  return aFirst <= bLast && bFirst <= aLast;
}

/** The region whose probe subnet shares addresses with `subnet` (other than `except`), if any. */
export function probeSubnetClash(
  regions: readonly Pick<RegionSpec, 'key' | 'probeSubnet'>[],
  subnet: string,
  except?: string,
): Pick<RegionSpec, 'key' | 'probeSubnet'> | undefined {
  return regions.find(
    (r) => r.key !== except && isCidr(r.probeSubnet) && cidrsOverlap(r.probeSubnet, subnet),
  );
}

const REGION_KEY_RULE =
  'a region key is 2-12 characters: a lowercase letter, then lowercase letters or digits';
const regionKey = z.string().regex(REGION_KEY, REGION_KEY_RULE);

/** `chatctl china origin global` points the China proxy back at the global name: no region may be called so. */
export const CHINA_ORIGIN_GLOBAL = 'global';
const RESERVED_KEY_RULE = `"${CHINA_ORIGIN_GLOBAL}" is reserved (chatctl china origin ${CHINA_ORIGIN_GLOBAL} names the global chat name)`;

/** Why `key` cannot be a region key, or undefined when it can (for a key given as an argument). */
export function regionKeyProblem(key: string): string | undefined {
  if (!REGION_KEY.test(key)) return REGION_KEY_RULE;
  return key === CHINA_ORIGIN_GLOBAL ? RESERVED_KEY_RULE : undefined;
}

/** One region of `regions`: also what the sandbox's control API takes to add a region while it runs. */
export const regionSchema = z.strictObject({
  key: regionKey.refine((key) => key !== CHINA_ORIGIN_GLOBAL, { message: RESERVED_KEY_RULE }),
  awsRegion: z.string().refine((code): boolean => isCommercialAwsRegion(code), {
    message: `not an AWS commercial region code; allowed: ${COMMERCIAL_AWS_REGIONS.join(', ')}`,
  }),
  probeSubnet: z
    .string()
    .refine(isCidr, { message: 'a client subnet in CIDR form, such as 203.0.113.0/24' })
    .describe("A client subnet that stands for this region's users (used by TestDNSAnswer and drills)"),
});

const throttleSchema = z.strictObject({
  rateLimit: z
    .number()
    .min(1, 'at least 1 request per second')
    .max(10_000, "at most 10,000 (API Gateway's account quota)"),
  burstLimit: z.int().min(1, 'at least 1').max(5_000, "at most 5,000 (API Gateway's account quota)"),
});

const laneSchema = z.partialRecord(
  z.enum(ROUTES as unknown as [Route, ...Route[]]),
  // No upper bound here: what fits is the account's quota in each region, which the deploy preflight reads.
  z.int().min(1, 'reserved concurrency is at least 1'),
);

const pagingSchema = z
  .strictObject({
    email: z
      .array(z.email('an email address such as oncall@example.com'))
      .max(20, 'at most 20 email subscriptions')
      .optional(),
    https: z
      .array(
        z
          .url({ protocol: /^https$/, message: 'an https:// URL (SNS posts each alarm to it)' })
          .refine((url) => !/^https:\/\/[^/]*@/.test(url), {
            message: 'no user:password@ in the URL: it would land in the CloudFormation template',
          }),
      )
      .max(20, 'at most 20 HTTPS subscriptions')
      .optional(),
  })
  .describe("Who the alarms page: each region's SNS topic gets these subscriptions");

/**
 * A saved `chatctl capacity` profile: the peak to plan for. Every field is optional (the command's defaults
 * and flags fill the rest); `regionShare` must name known regions and sum to 1 (checked below).
 */
const share = z.number().min(0, 'a share is between 0 and 1').max(1, 'a share is between 0 and 1');
const positive = z.number().positive('must be greater than 0');
export const capacityProfileSchema = z.strictObject({
  peakMsgs: positive.describe('messages sent per second at the peak, all regions together').optional(),
  avgRoom: z.number().min(1, 'a room has at least 1 member').optional(),
  crossRegionShare: share
    .describe('share of messages sent in rooms with members in another region')
    .optional(),
  connections: positive.describe('concurrent WebSocket connections at the peak, all regions').optional(),
  connectRate: positive.describe('new connections per second at the peak, all regions').optional(),
  regionShare: z.record(regionKey, share).optional(),
  historyReadsPerMsg: z.number().min(0, 'at least 0').optional(),
  avgToPeak: z
    .number()
    .positive('must be greater than 0')
    .max(1, 'the average is at most the peak')
    .optional(),
  routeMs: z.partialRecord(z.enum(ROUTES as unknown as [Route, ...Route[]]), positive).optional(),
});
export type CapacityProfile = z.infer<typeof capacityProfileSchema>;

export const topologySchema = z
  .strictObject({
    $schema: z.string().optional(),
    app: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{1,19}$/,
        'lowercase letters, digits and dashes, 2-20 characters, starting with a letter',
      ),
    target: z.enum(['sandbox', 'aws']),
    account: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
    domain: z
      .string()
      .regex(
        /^([a-z0-9-]+\.)+[a-z]{2,}$/,
        'a DNS name such as example.com; the chat answers at chat.<domain>',
      ),
    hostedZone: z.strictObject({
      name: z
        .string()
        .regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, 'the public hosted zone name, such as example.com'),
      id: z.string().regex(/^Z[A-Z0-9]{4,32}$/, 'a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ'),
    }),
    homeRegion: regionKey,
    regions: z.array(regionSchema).min(1, 'at least one region').max(12, 'at most 12 regions'),
    china: z.strictObject({
      enabled: z.boolean(),
      /**
       * Unset (the default): the proxy's origin is the global name chat.<domain>, so CloudFront reaches the
       * region latency DNS gives its edge, and China's users follow a drain or a failure as every user does.
       * A region key pins the origin to that region's own name (it then does not follow a drain).
       */
      originRegion: regionKey.optional(),
    }),
    healthCheck: z.strictObject({
      intervalSeconds: z.union([z.literal(10), z.literal(30)], { message: 'Route 53 allows 10 or 30' }),
      failureThreshold: z.int().min(1).max(10),
    }),
    minHealthyRegions: z.int().min(1, 'at least 1: a drain never takes the last healthy region out'),
    /**
     * API Gateway stage throttles (steady requests per second, burst) of each region's WebSocket stage and health
     * API; the stacks set them and the sandbox's gateway enforces them (defaults: core/routing-health.ts).
     */
    throttle: z
      .strictObject({
        stage: throttleSchema.optional(),
        health: throttleSchema.optional(),
      })
      .optional(),
    lanes: laneSchema,
    auth: z.strictObject({
      mode: z.enum(['dev', 'cognito']),
      userPoolId: z
        .string()
        .regex(USER_POOL_ID, 'a Cognito user pool id, <region>_<id> (e.g. ap-northeast-2_AbCdEfGhI)')
        .optional(),
      userPoolClientId: z.string().optional(),
      /**
       * Where Cognito's hosted sign-in may send users back (auth code with PKCE only, scope openid). Unset: the
       * chat's app client has no OAuth at all (clients sign in with SRP through the API).
       */
      callbackUrls: z
        .array(
          z
            .url({ message: 'an https:// URL, or http://localhost for development' })
            .refine((url) => /^https:\/\//.test(url) || /^http:\/\/localhost(:\d+)?(\/|$)/.test(url), {
              message: 'an https:// URL, or http://localhost for development (Cognito allows no other http)',
            }),
        )
        .min(1, 'at least one URL, or leave the field out for no OAuth')
        .max(100, 'Cognito takes at most 100 callback URLs')
        .optional(),
      /**
       * Compatibility switch: $connect also accepts the token as ?token= in the URL, where logs record it. Off
       * in new topologies; clients send it in the Sec-WebSocket-Protocol header (docs/protocol.md).
       */
      tokenInQuery: z.boolean().optional(),
      /**
       * Cognito mode: the region key whose AWS region holds the pool's secondary replica (Cognito's multi-Region
       * replication allows one per pool). Every region's canary may then sign in there, its own region's first
       * (docs/deploying.md, Cognito in every region, which says how to make the replica).
       */
      replicaRegion: z.string().optional(),
    }),
    analytics: z.strictObject({
      enabled: z.boolean(),
      /** Firehose's buffer: a batch is written after this many seconds (default 60, the seed's) ... */
      bufferIntervalSeconds: z.int().min(0).max(900).optional(),
      /** ... or once it holds this many MiB (default 128). */
      bufferSizeMiB: z.int().min(1).max(128).optional(),
    }),
    /**
     * The chat event feed on AWS (docs/events.md): per region, an EventBridge pipe from the table's stream to an
     * event bus with an archive, a dead-letter queue and its alarm. Off when absent (the sandbox's local bus runs
     * regardless).
     */
    events: z
      .strictObject({
        enabled: z.boolean(),
        /** Days the bus's archive keeps events for replay (default 30; 0 keeps them indefinitely). */
        archiveDays: z.int().min(0).max(3650).optional(),
        /**
         * Also a Kinesis Data Stream per region with this many shards, for consumers who want a log: every event,
         * keyed by room (unset: none).
         */
        kinesisShards: z.int().min(1).max(500).optional(),
      })
      .optional(),
    paging: pagingSchema.optional(),
    replication: z.strictObject({
      lagThresholdMs: z.int().min(1).max(600_000),
    }),
    sandbox: z.strictObject({
      port: z.int().min(1024).max(65535),
      /** The sandbox's analytics buffer interval (default 3 s: the sandbox's time scale); the size is the topology's. */
      analyticsBufferSeconds: z.number().min(0.1).max(900).optional(),
      healthCheckIntervalSeconds: z.number().min(0.1).max(30),
      failureThreshold: z.int().min(1).max(10),
      /**
       * Global Tables' replication pipeline delay the sandbox adds to the network lag of each region pair
       * (default 700 ms, from AWS's "typically within a second"; sandbox/latency.ts). Lower it for fast
       * test runs, raise it for rehearsals.
       */
      replicationDelayMs: z.int().min(0).max(60_000).optional(),
      /**
       * The sandbox's log (sandbox.log in the state folder): `level` info (default) keeps the health checkers'
       * and canaries' routine traffic out, summed up every 5 minutes; debug writes every line. It rotates to
       * sandbox.log.1 at `maxMiB` (default 5).
       */
      log: z
        .strictObject({
          level: z.enum(['info', 'debug']).optional(),
          maxMiB: z.number().min(0.01).max(1024).optional(),
        })
        .optional(),
      /** Access keys (besides the well-known test keys) `--verify-signatures` checks signatures with. */
      keys: z
        .array(z.strictObject({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) }))
        .optional(),
    }),
    capacity: capacityProfileSchema.optional(),
  })
  .superRefine((topology, ctx) => {
    const keys = new Set<string>();
    const codes = new Set<string>();
    topology.regions.forEach((region, index) => {
      if (keys.has(region.key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', index, 'key'],
          message: `duplicate region key "${region.key}"`,
        });
      }
      if (codes.has(region.awsRegion)) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', index, 'awsRegion'],
          message: `AWS region ${region.awsRegion} is already used by another region`,
        });
      }
      // Route 53 answers a probe subnet by one region's latency: a subnet two regions share stands for neither.
      const earlier = topology.regions.slice(0, index);
      const clash = isCidr(region.probeSubnet) ? probeSubnetClash(earlier, region.probeSubnet) : undefined;
      if (clash) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', index, 'probeSubnet'],
          message: `probe subnet ${region.probeSubnet} of "${region.key}" overlaps ${clash.probeSubnet} of "${clash.key}": each region needs a subnet of its own users`,
        });
      }
      keys.add(region.key);
      codes.add(region.awsRegion);
    });
    const known = `one of the region keys: ${[...keys].join(', ')}`;
    if (!keys.has(topology.homeRegion))
      ctx.addIssue({ code: 'custom', path: ['homeRegion'], message: known });
    if (topology.china.originRegion !== undefined && !keys.has(topology.china.originRegion)) {
      ctx.addIssue({ code: 'custom', path: ['china', 'originRegion'], message: known });
    }
    if (topology.minHealthyRegions > topology.regions.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['minHealthyRegions'],
        message: `at most the number of regions (${topology.regions.length})`,
      });
    }
    const replica = topology.auth.replicaRegion;
    if (replica !== undefined) {
      const poolRegion = topology.auth.userPoolId
        ? USER_POOL_ID.exec(topology.auth.userPoolId)?.[1]
        : topology.regions.find((r) => r.key === topology.homeRegion)?.awsRegion;
      const spec = topology.regions.find((r) => r.key === replica);
      if (topology.auth.mode !== 'cognito') {
        ctx.addIssue({
          code: 'custom',
          path: ['auth', 'replicaRegion'],
          message: 'only for auth mode "cognito"',
        });
      } else if (!spec) {
        ctx.addIssue({ code: 'custom', path: ['auth', 'replicaRegion'], message: known });
      } else if (spec.awsRegion === poolRegion) {
        ctx.addIssue({
          code: 'custom',
          path: ['auth', 'replicaRegion'],
          message: `a region other than the pool's own (${poolRegion}): the replica is its second region`,
        });
      }
    }
    if (topology.auth.mode === 'cognito' && topology.auth.userPoolId && !topology.auth.userPoolClientId) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'userPoolClientId'],
        message: 'required when auth.userPoolId names an existing pool',
      });
    }
    const shares = topology.capacity?.regionShare;
    if (shares) {
      for (const name of Object.keys(shares)) {
        if (!keys.has(name))
          ctx.addIssue({ code: 'custom', path: ['capacity', 'regionShare', name], message: known });
      }
      const sum = Object.values(shares).reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 1) > 0.001) {
        ctx.addIssue({
          code: 'custom',
          path: ['capacity', 'regionShare'],
          message: `the shares sum to ${Number(sum.toFixed(4))}; they must sum to 1`,
        });
      }
    }
  });

export type Topology = z.infer<typeof topologySchema>;
export type RegionSpec = Topology['regions'][number];

export const DEFAULT_REGIONS: readonly RegionSpec[] = [
  { key: 'seoul', awsRegion: 'ap-northeast-2', probeSubnet: '211.45.0.0/24' },
  { key: 'tokyo', awsRegion: 'ap-northeast-1', probeSubnet: '133.242.0.0/24' },
  { key: 'na', awsRegion: 'us-west-2', probeSubnet: '52.32.0.0/24' },
];

/** The topology `chatctl init` writes and the sandbox uses when there is no chatctl.json. */
export function defaultTopology(options: { target?: 'sandbox' | 'aws' } = {}): Topology {
  return {
    app: 'chat',
    target: options.target ?? 'sandbox',
    account: '000000000000',
    domain: 'example.com',
    hostedZone: { name: 'example.com', id: 'Z0SANDBOX00000000000' },
    homeRegion: 'seoul',
    regions: DEFAULT_REGIONS.map((region) => ({ ...region })),
    china: { enabled: true },
    healthCheck: { intervalSeconds: 10, failureThreshold: 3 },
    minHealthyRegions: 1,
    lanes: { send: 200, relay: 100, connect: 100, join: 50, history: 25, react: 25 },
    auth: { mode: 'dev', tokenInQuery: false },
    analytics: { enabled: false },
    replication: { lagThresholdMs: 2000 },
    sandbox: { port: 4566, healthCheckIntervalSeconds: 1, failureThreshold: 2 },
  };
}

/** The topology file's path: --config, CHATCTL_CONFIG, or chatctl.json here or in the nearest parent. */
export function resolveTopologyPath(configFlag?: string): string {
  return locateTopology(configFlag).path;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    return out ? `${out}.${String(part)}` : String(part);
  }, '');
}

/** Validates an unknown value as a topology; the error names the file, every bad field and what is allowed. */
export function parseTopology(value: unknown, source = TOPOLOGY_FILE): Topology {
  const result = topologySchema.safeParse(value);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const field = formatPath(issue.path) || '(top level)';
    let message = issue.message;
    if (issue.code === 'invalid_type' && /received undefined/.test(message)) message = 'is required';
    if (issue.code === 'unrecognized_keys') message = `unknown field(s): ${issue.keys.join(', ')}`;
    return `  ${field}: ${message}`;
  });
  throw new UserError(`${source} is not a valid topology:\n${lines.join('\n')}`, {
    hint: 'fix the field(s) above; run `chatctl init --force` to start again from the defaults',
  });
}

/**
 * Fields older files carry that nothing reads any more, with the field that does the job now. Loading drops
 * them and says so in one line, rather than refusing the file (the schema is strict); the next write of the
 * file leaves them out. README.md, Migration notes.
 */
const RETIRED_FIELDS: readonly { readonly path: readonly [string, string]; readonly instead: string }[] = [
  { path: ['healthCheck', 'replicationDelayMs'], instead: 'sandbox.replicationDelayMs' },
  { path: ['healthCheck', 'keys'], instead: 'sandbox.keys' },
];

/** `json` without the retired fields (a copy; the input is not changed) and the warning for each one dropped. */
export function dropRetiredFields(json: unknown, source: string): { json: unknown; warnings: string[] } {
  const warnings: string[] = [];
  if (!isObject(json)) return { json, warnings };
  const copy: Record<string, unknown> = { ...json };
  for (const { path, instead } of RETIRED_FIELDS) {
    const [parent, field] = path;
    const holder = copy[parent];
    if (!isObject(holder) || !(field in holder)) continue;
    const { [field]: _dropped, ...rest } = holder;
    copy[parent] = rest;
    warnings.push(
      `${source}: ${path.join('.')} is no longer read (ignored; ${instead} is); delete it from the file`,
    );
  }
  return { json: copy, warnings };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface LoadOptions {
  /** When the file does not exist, return the default topology instead of failing (the sandbox does this). */
  readonly allowMissing?: boolean;
  /** Where a retired field's one-line warning goes (default: stderr). */
  readonly warn?: (line: string) => void;
}

const warnedAbout = new Set<string>();

/** Each warning once per process: a command that loads the file twice says it once. */
function warnOnce(line: string, warn: (line: string) => void): void {
  if (warnedAbout.has(line)) return;
  warnedAbout.add(line);
  warn(line);
}

export async function loadTopology(
  path = resolveTopologyPath(),
  options: LoadOptions = {},
): Promise<Topology> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      if (options.allowMissing) return defaultTopology();
      throw new UserError(`no topology at ${path}`, { hint: 'run: chatctl init (or pass --config PATH)' });
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${basename(path)} is not valid JSON: ${(error as Error).message}`, {
      hint: `the file was left as it is; fix it by hand or run: chatctl init --force`,
    });
  }
  const retired = dropRetiredFields(json, path);
  const warn = options.warn ?? ((line: string) => process.stderr.write(`Warning: ${line}\n`));
  for (const line of retired.warnings) warnOnce(line, warn);
  return parseTopology(retired.json, basename(path));
}

export function serializeTopology(topology: Topology): string {
  return `${JSON.stringify(topology, null, 2)}\n`;
}

/**
 * Writes the file atomically: a temp file in the same folder, fsync, rename over the target, then fsync of the
 * folder (so the rename itself survives a power cut, not only a killed process).
 */
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  mode = 0o644,
  options: { exactMode?: boolean } = {},
): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    // Keeping an existing file's mode: as it was, whatever this process's umask.
    if (options.exactMode) await handle.chmod(mode);
    await (typeof content === 'string' ? handle.writeFile(content, 'utf8') : handle.writeFile(content));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  await syncFolder(dirname(path));
}

async function syncFolder(folder: string): Promise<void> {
  // Some file systems refuse fsync on a folder (EISDIR, EINVAL); the rename is still atomic there.
  const handle = await open(folder, 'r').catch(() => undefined);
  await handle?.sync().catch(() => {});
  await handle?.close();
}

/** The file a path names once its symlinks are followed (a dangling link: the file it would create). */
async function followLinks(path: string): Promise<string> {
  let current = resolve(path);
  for (let hops = 0; hops < 40; hops++) {
    const info = await lstat(current).catch(() => undefined);
    if (!info?.isSymbolicLink()) return current;
    current = resolve(dirname(current), await readlink(current));
  }
  throw new UserError(`${path}: too many levels of symbolic links`);
}

/**
 * Writes the topology file as its owner keeps it: through a symlink to its target (atomically, beside the
 * target), with the target's mode; a read-only file is refused, not replaced; the same content is not
 * written at all. Returns whether it wrote.
 */
export async function writeTopologyFile(path: string, content: string): Promise<boolean> {
  const target = await followLinks(path);
  const existing = await stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing) {
    const writable =
      (existing.mode & 0o222) !== 0 &&
      (await access(target, constants.W_OK).then(
        () => true,
        () => false,
      ));
    if (!writable) {
      throw new UserError(
        `${path} is read-only (mode ${(existing.mode & 0o777).toString(8)}): chatctl does not change it`,
        {
          hint: `make it writable first if the change is meant: chmod u+w ${target}`,
        },
      );
    }
    if ((await readFile(target, 'utf8')) === content) return false;
  }
  await writeFileAtomic(target, content, existing ? existing.mode & 0o7777 : 0o644, {
    exactMode: !!existing,
  });
  return true;
}

export async function saveTopology(path: string, topology: Topology): Promise<void> {
  const valid = parseTopology(topology, basename(path));
  await writeTopologyFile(path, serializeTopology(valid));
}

const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 10_000;

/** A lock file beside the topology, so that concurrent read-modify-write commands do not lose each other's change. */
export async function withFileLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lock, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > LOCK_STALE_MS) await unlink(lock).catch(() => {});
      else if (Date.now() > deadline) {
        throw new UserError(`${basename(path)} is locked by another chatctl command`, {
          hint: `wait for it to finish; if none is running, delete ${lock}`,
        });
      }
      await new Promise((r) => setTimeout(r, Math.min(100, 5 + attempt * 5) * (0.5 + Math.random())));
    }
  }
  try {
    return await work();
  } finally {
    await unlink(lock).catch(() => {});
  }
}

/**
 * Read-modify-write of the topology under the lock. `change` returns the new topology; it is validated
 * before anything is written, so a rejected change leaves the file as it was.
 */
export async function updateTopology(
  path: string,
  change: (current: Topology) => Topology | Promise<Topology>,
): Promise<Topology> {
  return withFileLock(path, async () => {
    const current = await loadTopology(path);
    const next = parseTopology(await change(structuredClone(current)), basename(path));
    await writeTopologyFile(path, serializeTopology(next));
    return next;
  });
}

/**
 * The key `input` names: a region key, or the AWS region code of one (ap-northeast-1 -> tokyo); undefined for
 * neither.
 */
export function regionKeyOf(topology: Pick<Topology, 'regions'>, input: string): string | undefined {
  return (
    topology.regions.find((r) => r.key === input)?.key ??
    topology.regions.find((r) => r.awsRegion === input.toLowerCase())?.key
  );
}

/** "no region x" with the key probably meant (by edit distance, or the region of an AWS code); exit 2. */
export function unknownRegion(
  input: string,
  regions: readonly Pick<RegionSpec, 'key' | 'awsRegion'>[],
  where = 'in the topology',
): UserError {
  const keys = regions.map((r) => r.key);
  const meant = closest(input, keys) ?? regions.find((r) => closest(input, [r.awsRegion]) !== undefined)?.key;
  return new UserError(`no region "${input}" ${where} (regions: ${keys.join(', ')})`, {
    hint: meant
      ? `did you mean ${meant}? (a region key, or its AWS region code)`
      : 'run: chatctl region list',
    exitCode: 2,
  });
}

/** The region `key` names (a key or its AWS region code), or a UserError with the key probably meant. */
export function findRegion(topology: Topology, key: string): RegionSpec {
  const found = regionKeyOf(topology, key);
  if (found === undefined) throw unknownRegion(key, topology.regions);
  return topology.regions.find((r) => r.key === found)!;
}
