import { describe, expect, it } from 'vitest';
import { resolveCapacityInput } from '../../../../cli/ops/capacity/input.js';
import { isUserError } from '../../../../core/errors.js';
import { defaultTopology, parseTopology } from '../../../../core/topology.js';

const topology = defaultTopology();

function errorOf(fn: () => unknown): { message: string; exitCode: number } {
  try {
    fn();
  } catch (error) {
    if (!isUserError(error)) throw error;
    return { message: error.message, exitCode: error.exitCode };
  }
  throw new Error('no error');
}

describe('capacity input', () => {
  it('capacity input: defaults fill what neither the flags nor the profile give, and say so', () => {
    const input = resolveCapacityInput(topology, { peakMsgs: 1000 });
    expect(input).toMatchObject({ peakMsgs: 1000, avgRoom: 8, crossRegionShare: 0.02, connections: 100_000 });
    expect(input.connectRate).toBeCloseTo(100_000 / 7200);
    expect(input.regionShare).toEqual({ seoul: 1 / 3, tokyo: 1 / 3, na: 1 / 3 });
    expect(input.from).toMatchObject({ peakMsgs: 'flag', avgRoom: 'default', regionShare: 'default' });
  });

  it('capacity input: negative, zero and non-numbers are refused naming the flag (exit 2)', () => {
    expect(errorOf(() => resolveCapacityInput(topology, { peakMsgs: -5 }))).toEqual({
      message: '--peak-msgs must be greater than 0 (got -5)',
      exitCode: 2,
    });
    expect(errorOf(() => resolveCapacityInput(topology, { peakMsgs: 0 })).message).toMatch(/^--peak-msgs /);
    expect(errorOf(() => resolveCapacityInput(topology, { peakMsgs: Number.NaN })).message).toBe(
      '--peak-msgs takes a number',
    );
    expect(errorOf(() => resolveCapacityInput(topology, { peakMsgs: 10, connections: 0 })).message).toMatch(
      /^--connections /,
    );
    expect(errorOf(() => resolveCapacityInput(topology, { peakMsgs: 10, connectRate: -1 })).message).toMatch(
      /^--connect-rate /,
    );
    expect(errorOf(() => resolveCapacityInput(topology, { peakMsgs: 10, avgRoom: 0 })).message).toMatch(
      /^--avg-room /,
    );
    expect(
      errorOf(() => resolveCapacityInput(topology, { peakMsgs: 10, crossRegionShare: 1.5 })).message,
    ).toMatch(/^--cross-region-share is a share between 0 and 1/);
    expect(errorOf(() => resolveCapacityInput(topology, { peakMsgs: 10, avgToPeak: 0 })).message).toMatch(
      /^--avg-to-peak /,
    );
    expect(
      errorOf(() => resolveCapacityInput(topology, { peakMsgs: 10, historyReadsPerMsg: -0.1 })).message,
    ).toMatch(/^--history-reads-per-msg /);
    expect(errorOf(() => resolveCapacityInput(topology, {})).message).toMatch(/^--peak-msgs is required/);
  });

  it('capacity input: region shares must name known regions, cover them all and sum to 1', () => {
    const shares =
      (...pairs: string[]) =>
      () =>
        resolveCapacityInput(topology, { peakMsgs: 10, regionShare: pairs });
    expect(errorOf(shares('seoul=0.5', 'tokyo=0.3', 'na=0.1')).message).toBe(
      '--region-share shares sum to 0.9; they must sum to 1',
    );
    expect(errorOf(shares('seoul=0.5', 'tokyo=0.5')).message).toBe(
      '--region-share must give every region a share; missing: na',
    );
    expect(errorOf(shares('seoul=0.5', 'tokyo=0.3', 'mars=0.2')).message).toMatch(
      /^--region-share names no region of the topology: "mars"/,
    );
    expect(errorOf(shares('seoul:0.5')).message).toMatch(/^--region-share takes key=share/);
    expect(errorOf(shares('seoul=0.5', 'seoul=0.5')).message).toBe('--region-share gives seoul twice');
    expect(
      resolveCapacityInput(topology, { peakMsgs: 10, regionShare: ['seoul=0.8', 'tokyo=0.15', 'na=0.05'] })
        .regionShare,
    ).toEqual({
      seoul: 0.8,
      tokyo: 0.15,
      na: 0.05,
    });
  });

  it('capacity profile: the schema validates it in chatctl.json, naming the field; flags override it', () => {
    const good = parseTopology({
      ...topology,
      capacity: { peakMsgs: 45_000, avgRoom: 12, regionShare: { seoul: 0.9, tokyo: 0.05, na: 0.05 } },
    });
    const input = resolveCapacityInput(good, { avgRoom: 4 });
    expect(input).toMatchObject({
      peakMsgs: 45_000,
      avgRoom: 4,
      regionShare: { seoul: 0.9, tokyo: 0.05, na: 0.05 },
    });
    expect(input.from).toMatchObject({ peakMsgs: 'profile', avgRoom: 'flag', regionShare: 'profile' });
    const bad = (capacity: unknown) => errorOf(() => parseTopology({ ...topology, capacity })).message;
    expect(bad({ peakMsgs: -1 })).toMatch(/capacity\.peakMsgs: must be greater than 0/);
    expect(bad({ crossRegionShare: 2 })).toMatch(/capacity\.crossRegionShare: a share is between 0 and 1/);
    expect(bad({ regionShare: { seoul: 0.5, tokyo: 0.2 } })).toMatch(
      /capacity\.regionShare: the shares sum to 0\.7; they must sum to 1/,
    );
    expect(bad({ regionShare: { seoul: 0.5, mars: 0.5 } })).toMatch(
      /capacity\.regionShare\.mars: one of the region keys/,
    );
    expect(bad({ peak: 5 })).toMatch(/capacity: unknown field\(s\): peak/);
  });
});
