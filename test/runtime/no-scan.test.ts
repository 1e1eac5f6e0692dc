import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const runtimeDir = fileURLToPath(new URL('../../runtime/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('runtime sources', () => {
  it('runtime: never calls Scan (every read is a Query on one partition or a GetItem)', () => {
    const files = sources(runtimeDir);
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((file) =>
      /\bScan(Command|Input|Output)\b|paginateScan|\bExecuteStatement|\bscan\s*\(/.test(
        readFileSync(file, 'utf8'),
      ),
    );
    expect(offenders).toEqual([]);
  });
});
