// What `chatctl --help` and `chatctl region list` load: pinned here (not timed), so that a heavy import cannot
// creep back into the start-up every operator command pays (docs/benchmarks.md, CLI start-up). Runs the built
// CLI (`npm test` builds first).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve('.');
const work = mkdtempSync(join(tmpdir(), 'chatctl-startup-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The modules `chatctl <args>` loaded, as paths relative to the repo (node_modules by package name). */
function modulesLoaded(args: readonly string[]): string[] {
  const trace = join(work, `trace-${args.join('-')}.txt`);
  const run = spawnSync(
    process.execPath,
    ['--import', resolve('test/support/module-trace.mjs'), resolve('bin/run.js'), ...args],
    // Without vitest's NODE_ENV=test, under which oclif runs the commands' TypeScript sources through tsx.
    {
      cwd: work,
      env: { ...process.env, MODULE_TRACE: trace, NO_COLOR: '1', NODE_ENV: 'production' },
      encoding: 'utf8',
    },
  );
  expect(run.status, run.stderr).toBe(0);
  const paths = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  const names = paths
    .filter((path) => !path.includes(`${join('test', 'support')}`))
    .map((path) => {
      const inPackage = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(path);
      return inPackage ? `node_modules/${inPackage[1]}` : relative(root, path).split('\\').join('/');
    });
  return [...new Set(names)].sort();
}

describe('chatctl start-up', () => {
  it('chatctl start-up: --help loads the entry point and the bundled oclif, and no command', () => {
    expect(modulesLoaded(['--help'])).toEqual(['bin/run.js', 'dist/bundled/oclif-core.js']);
  });

  it('chatctl start-up: region list loads its command, the topology and the bundles, and nothing heavy', () => {
    // With a chatctl.json, so that the topology is parsed (zod) as in an operator's project.
    expect(spawnSync(process.execPath, [resolve('bin/run.js'), 'init'], { cwd: work }).status).toBe(0);
    expect(modulesLoaded(['region', 'list'])).toEqual([
      'bin/run.js',
      'dist/bundled/oclif-core.js',
      'dist/bundled/zod.js',
      'dist/cli/base.js',
      'dist/cli/commands/region/list.js',
      'dist/cli/errors.js',
      'dist/cli/flags.js',
      'dist/cli/ops/regions.js',
      'dist/cli/output.js',
      'dist/core/aws-regions.js',
      'dist/core/duration.js',
      'dist/core/errors.js',
      'dist/core/process.js',
      'dist/core/project.js',
      'dist/core/protocol.js',
      'dist/core/suggest.js',
      'dist/core/topology.js',
      'dist/core/user-pool.js',
      'dist/sandbox/state.js',
      'node_modules/chalk',
    ]);
  });
});
