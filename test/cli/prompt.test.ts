import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ask, confirm, Interrupted } from '../../cli/prompt.js';
import { bin } from '../support/cli.js';

function terminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  output.resume();
  return { input, output, terminal: true };
}

const hasPython = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' }).status === 0;

describe('cli/prompt', () => {
  it('ask: returns the line typed', async () => {
    const io = terminal();
    const answer = ask('region? ', io);
    io.input.write('tokyo\r');
    await expect(answer).resolves.toBe('tokyo');
  });

  it('ask: Ctrl-C at the question rejects with Interrupted (the command then exits 130)', async () => {
    const io = terminal();
    const answer = ask('region? ', io);
    io.input.write('\u0003');
    await expect(answer).rejects.toBeInstanceOf(Interrupted);
  });

  it('confirm: only y or yes is yes', async () => {
    for (const [typed, expected] of [
      ['y', true],
      ['yes', true],
      ['', false],
      ['n', false],
      ['yess', false],
    ] as const) {
      const io = terminal();
      const answer = confirm('deploy?', io);
      io.input.write(`${typed}\r`);
      await expect(answer).resolves.toBe(expected);
    }
  });

  it.skipIf(!hasPython)('drain --force: Ctrl-C at the typed-back question exits 130 quietly', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'chatctl-prompt-'));
    await mkdir(join(cwd, '.chatctl'));
    // drain reads where the sandbox listens before it asks; nothing is contacted before the answer.
    await writeFile(
      join(cwd, '.chatctl', 'sandbox.json'),
      JSON.stringify({ pid: process.pid, edge: 'http://127.0.0.1:9', regions: {}, dynamodb: { pid: 0 } }),
    );
    // A pseudo-terminal, so the CLI sees a TTY and Ctrl-C arrives as the key a user presses.
    const script = `
import os, pty, sys, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
deadline = time.time() + 30
while b'Type the region key' not in out and time.time() < deadline:
    if select.select([fd], [], [], 0.5)[0]:
        try: out += os.read(fd, 4096)
        except OSError: break
os.write(fd, b'\\x03')
while time.time() < deadline:
    if select.select([fd], [], [], 0.5)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError: break
        if not chunk: break
        out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;
    const result = spawnSync('python3', ['-c', script, process.execPath, bin, 'drain', 'tokyo', '--force'], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', CHATCTL_HOME: join(cwd, '.chatctl') },
      timeout: 60_000,
    });
    expect(result.stdout).toMatch(/Type the region key \(tokyo\)/);
    expect(result.status, result.stdout).toBe(130);
    expect(result.stdout).not.toMatch(/Error|at .*\.js:\d+/);
  });
});
