// Runs the built CLI (`npm test` builds first): synth as a command, deploy without credentials, and the rule
// that only synth/diff/deploy load the CDK.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultTopology, serializeTopology } from '../../../core/topology.js';

const bin = resolve('bin/run.js');
let dir: string;
let config: string;

/** Env with no AWS credentials anywhere: no keys, empty config files, no instance metadata. */
function credentialFreeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  for (const name of Object.keys(env)) {
    if (/^AWS_/.test(name) && name !== 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED') delete env[name];
  }
  delete env.CHATCTL_CONFIG;
  const empty = join(dir, 'empty');
  writeFileSync(empty, '');
  env.AWS_CONFIG_FILE = empty;
  env.AWS_SHARED_CREDENTIALS_FILE = empty;
  env.AWS_EC2_METADATA_DISABLED = 'true';
  return env;
}

function chatctl(args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []) {
  const result = spawnSync('node', [...nodeArgs, bin, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env,
    timeout: 240_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'chatctl-deploy-'));
  config = join(dir, 'chatctl.json');
  writeFileSync(
    config,
    serializeTopology({ ...defaultTopology({ target: 'aws' }), account: '123456789012' }),
  );
});

describe('cli synth and deploy', () => {
  it('synth: --json --no-bundle prints every stack in deploy order with resources per type, and no findings', () => {
    const out = join(dir, 'synth.out');
    const result = chatctl(
      ['synth', '--json', '--no-bundle', '--out', out, '--config', config],
      credentialFreeEnv(),
    );
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as {
      stacks: { stackName: string; awsRegion: string; resources: Record<string, number> }[];
      findings: unknown[];
      bundled: boolean;
    };
    expect(summary.stacks.map((s) => s.stackName)).toEqual([
      'chat-global-data',
      'chat-region-seoul',
      'chat-region-tokyo',
      'chat-region-na',
      'chat-china-proxy',
    ]);
    expect(summary.findings).toEqual([]);
    expect(summary.bundled).toBe(false);
    const tokyo = summary.stacks.find((s) => s.stackName === 'chat-region-tokyo')!;
    expect(tokyo.awsRegion).toBe('ap-northeast-1');
    // 12 chat functions, the canary and the surge controller.
    expect(tokyo.resources['AWS::Lambda::Function']).toBe(14);
    expect(tokyo.resources['AWS::ApiGatewayV2::Route']).toBe(11);
    // Tokyo's judges are its own canary and those of the two other regions (core/routing-health.ts): three
    // CLOUDWATCH_METRIC checks on their alarms, the CALCULATED routing check over them (the latency record's),
    // and the HTTPS check on /health, watched but not a child of the routing check.
    expect(tokyo.resources['AWS::Route53::HealthCheck']).toBe(5);
    // The relay's queued invocations: bounded, with their failure queue (the analytics queue is the global stack's).
    expect(tokyo.resources['AWS::Lambda::EventInvokeConfig']).toBe(1);
    expect(tokyo.resources['AWS::SQS::Queue']).toBe(1);
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
    expect(existsSync(join(out, 'chat-region-tokyo.template.json'))).toBe(true);
  }, 300_000);

  it('deploy: with no AWS credentials it fails at once with a clear message and exit 1', () => {
    const result = chatctl(['deploy', '--yes', '--config', config], credentialFreeEnv());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/deploy: no AWS credentials found/);
    expect(result.stderr).toMatch(/aws sso login|AWS_PROFILE/);
    // Nothing was synthesized: it failed before the CDK app was built.
    expect(existsSync(join(dir, 'cdk.out', 'chat-global-data.assets.json'))).toBe(false);
  }, 60_000);

  it('diff: with no AWS credentials it fails at once with the same clear message and exit 1', () => {
    const result = chatctl(['diff', '--region', 'tokyo', '--config', config], credentialFreeEnv());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/diff: no AWS credentials found/);
  }, 60_000);

  it('cdk app: bin/cdk.ts refuses to synthesize an AWS target still on the sandbox account, and writes nothing', () => {
    // chatctl.json in the working folder (as the CDK CLI runs the app): target aws, the sandbox's account.
    const folder = join(dir, 'sandbox-account');
    mkdirSync(folder);
    writeFileSync(join(folder, 'chatctl.json'), serializeTopology(defaultTopology({ target: 'aws' })));
    const out = join(dir, 'refused.out');
    const result = spawnSync(resolve('node_modules/.bin/tsx'), [resolve('bin/cdk.ts')], {
      cwd: folder,
      encoding: 'utf8',
      env: credentialFreeEnv({
        CDK_OUTDIR: out,
        CDK_CONTEXT_JSON: '{"chatctl:bundle":"false"}',
      }),
      timeout: 120_000,
    });
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/refusing to synthesize for AWS:\n.*"account" is 000000000000/);
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
  }, 120_000);

  it('deploy: the sandbox target is refused with a hint to pass --target aws', () => {
    const result = chatctl(['deploy', '--target', 'sandbox', '--config', config], credentialFreeEnv());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--target aws/);
  }, 60_000);

  it('region list: does not load aws-cdk-lib, toolkit-lib or cdk-nag (commands import them lazily)', () => {
    const hooks = join(dir, 'record-hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.CHATCTL_IMPORT_LOG, result.url + '\\n');
  return result;
}
`,
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    const cases: [string, string[]][] = [
      ['region-list', ['region', 'list', '--config', config]],
      ['help', ['--help']],
    ];
    for (const [name, args] of cases) {
      const log = join(dir, `imports-${name}.log`);
      const result = chatctl(args, credentialFreeEnv({ CHATCTL_IMPORT_LOG: log }), [
        '--import',
        pathToFileURL(register).href,
      ]);
      expect(result.code, result.stderr).toBe(0);
      const urls = readFileSync(log, 'utf8');
      // The recorder works: it saw the entry point and the CLI framework (bundled by the build) load.
      expect(urls).toMatch(/\/bin\/run\.js$/m);
      expect(urls).toMatch(/\/dist\/bundled\/oclif-core\.js$/m);
      expect(urls).not.toMatch(/node_modules\/(aws-cdk-lib|@aws-cdk\/toolkit-lib|cdk-nag)\//);
    }
  }, 60_000);
});
