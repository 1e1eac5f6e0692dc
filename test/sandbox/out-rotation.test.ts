// A detached sandbox's own output file is rotated by the process itself (sandbox/out-rotation.ts): a child
// whose stdout and stderr are the file, opened in append mode as `sandbox up --detach` opens sandbox.out,
// floods it; the file stays bounded, the older part is in `.1`, and appends go on at the new end (no hole).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'chatctl-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('out rotation', () => {
  it('out rotation: 400 KB written past a 20 KB bound keeps the file and its .1 under the bound plus one check, the last line at the end', async () => {
    const path = join(dir, 'sandbox.out');
    const fd = openSync(path, 'a', 0o600);
    const module = pathToFileURL(resolve('dist/sandbox/out-rotation.js')).href;
    // 400 lines of 1 KB, 4 every 10 ms, the bound checked every 20 ms.
    const script = `
      const { rotateOwnOutput } = await import(${JSON.stringify(module)});
      rotateOwnOutput(${JSON.stringify(path)}, 20000, 20);
      let n = 0;
      const timer = setInterval(() => {
        for (let i = 0; i < 4 && n < 400; i++, n++) (n % 2 ? process.stderr : process.stdout).write('line ' + String(n).padStart(4, '0') + ' ' + 'x'.repeat(1013) + '\\n');
        if (n >= 400) { clearInterval(timer); process.exit(0); }
      }, 10);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(existsSync(`${path}.1`)).toBe(true);
    const bound = 20_000 + 20 * 1024; // the bound, plus what a check period can add under a busy machine
    expect(statSync(path).size).toBeLessThanOrEqual(bound);
    expect(statSync(`${path}.1`).size).toBeLessThanOrEqual(bound);
    expect(statSync(`${path}.1`).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('\0');
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^line 0399 x+$/);
  }, 30_000);
});
