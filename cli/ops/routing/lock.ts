/**
 * One lock for every routing change (drain, restore, the China origin, drills through them): the safety
 * rules are a read then a write, so two operators draining at once could each see enough regions left and
 * together leave fewer than minHealthyRegions. Under the lock the rules read Route 53 again, so a change
 * judges the state the previous one left. The lock is a file in the state folder: it serializes operators on
 * this machine, the sandbox's whole world. Operators on other machines against AWS share no file, so a drain
 * also re-reads Route 53 after its write and reverts itself when the rule no longer holds (drain.ts): the
 * compare-and-set that makes the rule hold across machines (both may back off, neither leaves it broken).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { withFileLock } from '../../../core/topology.js';
import { stateDir } from '../../../sandbox/state.js';

export async function withRoutingLock<T>(work: () => Promise<T>): Promise<T> {
  const dir = stateDir();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return withFileLock(join(dir, 'routing'), work);
}
