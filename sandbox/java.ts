/**
 * Java, which DynamoDB Local (the sandbox's database engine) needs: whether it is on PATH, its version, and the
 * line that installs it on this system. `sandbox up` checks before it starts anything, so a machine without
 * Java gets the install line at once instead of a start that waits for an engine that cannot run.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { UserError } from '../core/errors.js';

export const MIN_JAVA_MAJOR = 17;

/** The `java` that a spawn of "java" would run, or undefined when PATH has none. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const names = process.platform === 'win32' ? [`${command}.exe`, `${command}.cmd`] : [command];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const name of names) {
      const candidate = join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The command that installs a headless Java 17+ on this system (the package manager found on PATH). */
export function javaInstallLine(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform === 'darwin') return 'brew install openjdk@17';
  if (platform === 'win32') return 'winget install Microsoft.OpenJDK.17';
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  const managers: [string, string][] = [
    ['apt-get', 'apt-get install -y default-jre-headless'],
    ['dnf', 'dnf install -y java-17-openjdk-headless'],
    ['yum', 'yum install -y java-17-openjdk-headless'],
    ['zypper', 'zypper install -y java-17-openjdk-headless'],
    ['pacman', 'pacman -S --noconfirm jre17-openjdk-headless'],
    ['apk', 'apk add openjdk17-jre-headless'],
  ];
  // A PATH cut down to run chatctl may still leave the system's package manager where it always is.
  const search = {
    PATH: [env.PATH, '/usr/local/bin', '/usr/bin', '/bin', '/sbin'].filter(Boolean).join(delimiter),
  };
  for (const [manager, line] of managers) if (findOnPath(manager, search)) return `${sudo}${line}`;
  return 'a Java 17 (or newer) runtime, e.g. Eclipse Temurin from adoptium.net';
}

export function javaMissingError(env: NodeJS.ProcessEnv = process.env): UserError {
  return new UserError(
    `Java is not installed (no java on PATH); DynamoDB Local, the sandbox's database, needs Java ${MIN_JAVA_MAJOR} or newer`,
    { hint: `install it: ${javaInstallLine(process.platform, env)}` },
  );
}

/** Fails at once, with the install line, when PATH has no java. */
export function requireJava(env: NodeJS.ProcessEnv = process.env): string {
  const java = findOnPath('java', env);
  if (!java) throw javaMissingError(env);
  return java;
}

/** The major version `java -version` reports (17 for "17.0.9", 8 for "1.8.0_392"), or undefined. */
export function javaMajorVersion(java = 'java'): { major?: number; text: string } {
  const result = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 15_000 });
  const text = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim();
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return { text };
  const first = Number(match[1]);
  return { major: first === 1 ? Number(match[2]) : first, text: text.split('\n')[0] };
}
