// Shell completion for chatctl on PATH (npm link): built from the manifest, so new commands complete too.
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

const hasBash = spawnSync('bash', ['-c', 'true']).status === 0;

describe('cli: completion', () => {
  it.skipIf(!hasBash)(
    'autocomplete bash: completes commands and topics for chatctl, new ones included',
    async () => {
      const home = await mkdtemp(join(tmpdir(), 'chatctl-home-'));
      const setup = await runCli(['autocomplete', 'bash'], {
        cwd: home,
        env: { HOME: home, XDG_CACHE_HOME: undefined },
      });
      expect(setup.code, setup.stderr).toBe(0);
      const script = await runCli(['autocomplete', 'script', 'bash'], { cwd: home, env: { HOME: home } });
      expect(script.stdout).toMatch(/# chatctl autocomplete setup/);
      const functions = join(home, '.cache', 'chatctl', 'autocomplete', 'functions', 'bash', 'chatctl.bash');
      const complete = (line: string) => {
        const words = line.split(' ');
        const result = spawnSync(
          'bash',
          [
            '-c',
            `source "$0"; COMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; COMP_LINE="${line}"; COMP_POINT=\${#COMP_LINE}; _chatctl_autocomplete; echo "\${COMPREPLY[@]}"`,
            functions,
          ],
          { encoding: 'utf8' },
        );
        return result.stdout.trim();
      };
      expect(complete('chatctl doc')).toBe('doctor');
      expect(complete('chatctl sandbox lo')).toBe('logs');
      expect(complete('chatctl sandbox e')).toBe('env');
    },
  );
});
