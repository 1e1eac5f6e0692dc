import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { pidAlive, signalIfAlive } from '../../core/process.js';
import { eventually } from '../support/eventually.js';

// A parent that never reaps: the shell starts a short child, then becomes `sleep 60`, which never waits.
const parent = spawn('sh', ['-c', 'sleep 0.1 & exec sleep 60'], { stdio: 'ignore' });
afterAll(() => {
  parent.kill('SIGKILL');
});

const childrenOf = (pid: number): number[] => {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text ? text.split(' ').map(Number) : [];
};

describe('process', () => {
  it('process: a zombie (exited, not reaped by its parent) is not alive, though signal 0 still reaches it', async () => {
    if (!existsSync('/proc/self/task')) return; // zombies are read from Linux's /proc
    expect(pidAlive(parent.pid!)).toBe(true);
    let child = 0;
    await eventually(() => {
      child = childrenOf(parent.pid!)[0] ?? 0;
      return child > 0;
    }, 5000);
    await eventually(() => readFileSync(`/proc/${child}/stat`, 'utf8').includes(') Z '), 5000);
    expect(() => process.kill(child, 0)).not.toThrow();
    expect(pidAlive(child)).toBe(false);
  });

  it('process: signalIfAlive says false for a process that has gone, where process.kill would throw', async () => {
    const short = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => short.once('exit', resolve));
    expect(pidAlive(short.pid!)).toBe(false);
    expect(signalIfAlive(short.pid!, 'SIGTERM')).toBe(false);
    expect(signalIfAlive(parent.pid!, 'SIGCONT')).toBe(true);
  });
});
