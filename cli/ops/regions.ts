import type { Topology } from '../../core/topology.js';

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
