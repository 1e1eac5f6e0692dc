// Topology writes respect the file the operator keeps: a symlink's target is written (atomically, the link
// stays), the mode stays, a read-only file is refused and left alone, and nothing is written when nothing changed.
import { chmod, lstat, mkdtemp, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import { defaultTopology, loadTopology, saveTopology, updateTopology } from '../../core/topology.js';

async function folderWithTopology(): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'chatctl-topology-file-'));
  const file = join(dir, 'chatctl.json');
  await saveTopology(file, defaultTopology());
  return { dir, file };
}

const renameHome = (home: string) => (t: ReturnType<typeof defaultTopology>) => ({ ...t, homeRegion: home });

describe('topology file writes', () => {
  it('topology: a change through a symlink writes its target and keeps the link', async () => {
    const { dir, file } = await folderWithTopology();
    const link = join(dir, 'linked.json');
    await symlink('chatctl.json', link);
    await updateTopology(link, renameHome('tokyo'));
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe('chatctl.json');
    expect(JSON.parse(await readFile(file, 'utf8')).homeRegion).toBe('tokyo');
  });

  it('topology: a change keeps the file mode (0600 stays 0600, 0664 stays 0664)', async () => {
    for (const mode of [0o600, 0o664]) {
      const { file } = await folderWithTopology();
      await chmod(file, mode);
      await updateTopology(file, renameHome('tokyo'));
      expect((await stat(file)).mode & 0o777).toBe(mode);
    }
  });

  it('topology: a read-only file is refused with a message and left as it was', async () => {
    const { file } = await folderWithTopology();
    await chmod(file, 0o444);
    const before = await readFile(file, 'utf8');
    const refused = await updateTopology(file, renameHome('tokyo')).catch((error: UserError) => error);
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as UserError).message).toMatch(/is read-only \(mode 444\)/);
    expect((refused as UserError).hint).toMatch(/chmod u\+w/);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect((await stat(file)).mode & 0o777).toBe(0o444);
  });

  it('topology: a change that changes nothing writes nothing (same inode, same mtime)', async () => {
    const { file } = await folderWithTopology();
    const before = await stat(file);
    await new Promise((r) => setTimeout(r, 20));
    await updateTopology(file, (t) => t);
    const after = await stat(file);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('topology: a file with the retired healthCheck fields loads, says so for each, and keeps the rest', async () => {
    const { file } = await folderWithTopology();
    const old = JSON.parse(await readFile(file, 'utf8'));
    old.homeRegion = 'tokyo';
    old.sandbox.replicationDelayMs = 50;
    old.healthCheck.replicationDelayMs = 300;
    old.healthCheck.keys = [{ accessKeyId: 'AKIDOLD', secretAccessKey: 'secret' }];
    await writeFile(file, JSON.stringify(old));
    const warnings: string[] = [];
    const topology = await loadTopology(file, { warn: (line) => warnings.push(line) });
    expect(warnings).toEqual([
      `${file}: healthCheck.replicationDelayMs is no longer read (ignored; sandbox.replicationDelayMs is); delete it from the file`,
      `${file}: healthCheck.keys is no longer read (ignored; sandbox.keys is); delete it from the file`,
    ]);
    expect(topology.healthCheck).toEqual({ intervalSeconds: 10, failureThreshold: 3 });
    expect(topology.homeRegion).toBe('tokyo');
    expect(topology.sandbox.replicationDelayMs).toBe(50);
    expect(topology.regions.map((r) => r.key)).toEqual(['seoul', 'tokyo', 'na']);
    // Loading does not write: the file is the operator's until a command changes it.
    expect(JSON.parse(await readFile(file, 'utf8')).healthCheck.keys).toHaveLength(1);
    // The next change writes it without them, and with everything else it had.
    await updateTopology(file, (t) => t);
    const written = JSON.parse(await readFile(file, 'utf8'));
    expect(written.healthCheck).toEqual({ intervalSeconds: 10, failureThreshold: 3 });
    expect({ ...written, healthCheck: old.healthCheck }).toEqual(old);
  });
});
