/** `replication check --report FILE`: the lag matrix as an SVG heat map (core/svg.ts, as the console draws it). */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { heatMapSvg } from '../../../core/svg.js';
import { writeFileAtomic } from '../../../core/topology.js';
import type { ReplicationResult } from './replication.js';

const ms = (value: number | undefined) => (value === undefined ? '-' : `${Math.round(value)} ms`);

export function replicationHeatMap(result: ReplicationResult): string {
  return heatMapSvg({
    title: `Replication lag, max over ${result.samples} sample(s): ${result.verdict}`,
    regions: result.regions.map((r) => r.key),
    cells: result.pairs.map((p) => ({
      from: p.from,
      to: p.to,
      // A pair whose canaries never arrived is drawn at the timeout: as red as it gets.
      ms: p.seen === 0 ? result.timeoutMs : (p.maxMs ?? 0),
      note: p.seen === 0 ? 'timeout' : `p50 ${ms(p.p50Ms)}`,
    })),
    maxMs: result.thresholdMs * 2,
    marked: result.regions.filter((r) => r.suspect).map((r) => r.key),
    markNote: 'marked: failing pairs point at this region (replication paused or broken?)',
  });
}

export async function writeReplicationReport(file: string, result: ReplicationResult): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, `${replicationHeatMap(result)}\n`);
  return file;
}
