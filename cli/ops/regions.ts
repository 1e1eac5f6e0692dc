/** Region management on the topology: list, add, remove. Provisioning of an added region is a separate seam. */

import { access } from 'node:fs/promises';
import { COMMERCIAL_AWS_REGIONS, isCommercialAwsRegion } from '../../core/aws-regions.js';
import { UserError } from '../../core/errors.js';
import {
  defaultTopology,
  probeSubnetClash,
  type RegionSpec,
  serializeTopology,
  type Topology,
  updateTopology,
  withFileLock,
  writeTopologyFile,
} from '../../core/topology.js';

export interface RegionRow {
  key: string;
  awsRegion: string;
  probeSubnet: string;
  roles: ('home' | 'china-origin')[];
}

export function listRegions(topology: Topology): RegionRow[] {
  return topology.regions.map((region) => ({
    ...region,
    roles: [
      ...(region.key === topology.homeRegion ? (['home'] as const) : []),
      ...(topology.china.enabled && region.key === topology.china.originRegion
        ? (['china-origin'] as const)
        : []),
    ],
  }));
}

/** Client subnets that stand for a region's users when `--probe-subnet` is not given (networks in that country). */
const SAMPLE_PROBE_SUBNETS: Readonly<Record<string, string>> = {
  'ap-northeast-1': '133.242.0.0/24',
  'ap-northeast-2': '211.45.0.0/24',
  'ap-northeast-3': '153.127.0.0/24',
  'ap-southeast-1': '118.189.0.0/24',
  'ap-southeast-2': '1.120.0.0/24',
  'ap-south-1': '117.192.0.0/24',
  'us-east-1': '54.80.0.0/24',
  'us-east-2': '3.128.0.0/24',
  'us-west-1': '54.183.0.0/24',
  'us-west-2': '52.32.0.0/24',
  'eu-west-1': '54.72.0.0/24',
  'eu-central-1': '3.120.0.0/24',
  'eu-west-2': '3.8.0.0/24',
  'sa-east-1': '177.71.128.0/24',
  'ca-central-1': '3.96.0.0/24',
};

export interface AddRegionInput {
  key: string;
  awsRegion: string;
  probeSubnet?: string;
}

/** Validates and adds a region to the topology file (under its lock; a rejected change writes nothing). */
export async function addRegion(
  path: string,
  input: AddRegionInput,
): Promise<{ topology: Topology; region: RegionSpec }> {
  if (!isCommercialAwsRegion(input.awsRegion)) {
    throw new UserError(`"${input.awsRegion}" is not an AWS commercial region code`, {
      hint: `one of: ${COMMERCIAL_AWS_REGIONS.join(', ')}`,
    });
  }
  const topology = await updateTopology(path, (current) => {
    const byKey = current.regions.find((r) => r.key === input.key);
    if (byKey) {
      throw new UserError(`region "${input.key}" already exists (${byKey.awsRegion})`, {
        hint: 'pick another key; run: chatctl region list',
      });
    }
    const byCode = current.regions.find((r) => r.awsRegion === input.awsRegion);
    if (byCode) {
      throw new UserError(`AWS region ${input.awsRegion} is already in the topology as "${byCode.key}"`, {
        hint: 'a Global Table has one replica per AWS region; run: chatctl region list',
      });
    }
    const probeSubnet = input.probeSubnet ?? SAMPLE_PROBE_SUBNETS[input.awsRegion];
    if (!probeSubnet) {
      throw new UserError(`no sample client subnet is known for ${input.awsRegion}`, {
        hint: "pass --probe-subnet CIDR: a subnet of that region's users, e.g. 203.0.113.0/24",
      });
    }
    const clash = probeSubnetClash(current.regions, probeSubnet);
    if (clash) {
      throw new UserError(
        `probe subnet ${probeSubnet} of "${input.key}" overlaps ${clash.probeSubnet} of "${clash.key}": DNS would answer both regions' users alike`,
        {
          hint: `pass --probe-subnet with a subnet of ${input.key}'s users alone, e.g. 203.0.113.0/24`,
          exitCode: 2,
        },
      );
    }
    return {
      ...current,
      regions: [...current.regions, { key: input.key, awsRegion: input.awsRegion, probeSubnet }],
    };
  });
  const region = topology.regions.find((r) => r.key === input.key)!;
  return { topology, region };
}

/** Removes a region, refusing the home region, the China origin and the last region. */
export async function removeRegion(
  path: string,
  key: string,
): Promise<{ topology: Topology; region: RegionSpec }> {
  let removed: RegionSpec | undefined;
  const topology = await updateTopology(path, (current) => {
    removed = current.regions.find((r) => r.key === key);
    if (!removed) {
      throw new UserError(`no region "${key}" in the topology`, { hint: 'run: chatctl region list' });
    }
    if (current.regions.length === 1) {
      throw new UserError(`"${key}" is the last region; a chat service needs at least one`);
    }
    if (current.homeRegion === key) {
      throw new UserError(`"${key}" is the home region (it holds the Global Table's stack)`, {
        hint: 'set "homeRegion" in chatctl.json to another region first',
      });
    }
    if (current.china.originRegion === key) {
      throw new UserError(`"${key}" is the China proxy's origin (pinned to it)`, {
        hint: 'let it follow DNS (chatctl china origin global) or move it first: chatctl china origin <another region>',
      });
    }
    const next = { ...current, regions: current.regions.filter((r) => r.key !== key) };
    if (next.minHealthyRegions > next.regions.length) next.minHealthyRegions = next.regions.length;
    return next;
  });
  return { topology, region: removed! };
}

/**
 * Writes the default topology; refuses to overwrite an existing file unless `force`. `schema` is the file's
 * `$schema` (the JSON Schema editors check it with).
 */
export async function initTopology(
  path: string,
  options: { aws: boolean; force: boolean; schema?: string },
): Promise<Topology> {
  const defaults = defaultTopology({ target: options.aws ? 'aws' : 'sandbox' });
  const topology: Topology = options.schema ? { $schema: options.schema, ...defaults } : defaults;
  return withFileLock(path, async () => {
    const exists = await access(path).then(
      () => true,
      () => false,
    );
    if (exists && !options.force) {
      throw new UserError(`${path} already exists`, {
        hint: 'pass --force to overwrite it with the defaults',
      });
    }
    await writeTopologyFile(path, serializeTopology(topology));
    return topology;
  });
}
