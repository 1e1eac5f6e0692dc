import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const script = resolve('scripts/check-layers.mjs');
const run = promisify(execFile);
let root: string | undefined;

afterEach(async () => {
  if (root) await rm(root, { recursive: true, force: true });
  root = undefined;
});

/** Runs the layer check on a tree of the given files; resolves with its exit code and output. */
async function checkTree(files: Record<string, string>): Promise<{ code: number; output: string }> {
  root = await mkdtemp(join(tmpdir(), 'chatctl-layers-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  try {
    const { stdout } = await run(process.execPath, [script], { cwd: root });
    return { code: 0, output: stdout };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, output: e.stderr };
  }
}

describe('check-layers: the CLI inner boundaries', () => {
  it('check-layers: a drill that sends UpdateHealthCheck itself is refused (routing changes only through routing/)', async () => {
    const result = await checkTree({
      'cli/ops/drill/steps.ts': "import { UpdateHealthCheckCommand } from '@aws-sdk/client-route-53';\n",
    });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      /cli\/ops\/drill\/steps\.ts: imports UpdateHealthCheckCommand .* only cli\/ops\/routing\/ changes routing/,
    );
  });

  it('check-layers: a client made outside cli/ops/aws/ is refused, statically or at run time', async () => {
    const result = await checkTree({
      'cli/ops/checks/health.ts': "import { Route53Client } from '@aws-sdk/client-route-53';\n",
      'cli/commands/chat.ts': "const { CloudFrontClient } = await import('@aws-sdk/client-cloudfront');\n",
      'cli/ops/chat/endpoint.ts':
        "const sdk = await import('@aws-sdk/client-route-53');\nconst c = new sdk.Route53Client({});\n",
      'cli/ops/routing/china-origin.ts':
        "import { UpdateDistributionCommand, CloudFrontClient } from '@aws-sdk/client-cloudfront';\n",
    });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/cli\/ops\/checks\/health\.ts: imports Route53Client/);
    expect(result.output).toMatch(
      /cli\/commands\/chat\.ts: takes CloudFrontClient from @aws-sdk\/client-cloudfront at run time/,
    );
    expect(result.output).toMatch(/cli\/ops\/chat\/endpoint\.ts: makes a Route53Client/);
    expect(result.output).toMatch(/cli\/ops\/routing\/china-origin\.ts: imports CloudFrontClient/);
    expect(result.output).not.toMatch(/UpdateDistributionCommand/);
  });

  it('check-layers: the shape the CLI has passes (clients in aws/, changes in routing/, types anywhere)', async () => {
    const result = await checkTree({
      'cli/ops/aws/clients.ts': "const { Route53Client } = await import('@aws-sdk/client-route-53');\n",
      'cli/ops/routing/drain.ts':
        "import { type Route53Client, UpdateHealthCheckCommand } from '@aws-sdk/client-route-53';\n",
      'cli/ops/checks/region.ts': "import type { LambdaClient } from '@aws-sdk/client-lambda';\n",
      'cli/ops/deploy/preflight.ts': "const { GetParameterCommand } = await import('@aws-sdk/client-ssm');\n",
    });
    expect(result).toEqual({ code: 0, output: 'layers ok\n' });
  });
});

// Spelled in two parts so that this file's own text does not read as an import of the CDK.
const CDK = ['aws-cdk', 'lib'].join('-');

describe('check-layers: whole paths, circles, tests and benchmarks', () => {
  it('check-layers: an import circle is refused, type-only imports included, naming every file in it', async () => {
    const result = await checkTree({
      'runtime/chat/a.ts': "import type { B } from './b.js';\nexport interface A { b: B }\n",
      'runtime/chat/b.ts': "import { c } from './c.js';\nexport interface B { n: number }\n",
      'runtime/chat/c.ts': "import type { A } from './a.js';\nexport const c = 1;\n",
      'runtime/chat/d.ts': "import type { A } from './a.js';\n",
    });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      /import circle: runtime\/chat\/a\.ts, runtime\/chat\/b\.ts, runtime\/chat\/c\.ts import each other/,
    );
    expect(result.output).not.toMatch(/d\.ts/);
  });

  it('check-layers: within cli/, only the deploy ops reach stacks/', async () => {
    const result = await checkTree({
      'stacks/app.ts': 'export const app = 1;\n',
      'cli/ops/checks/health.ts': "import { app } from '../../../stacks/app.js';\n",
      'cli/ops/deploy/assembly.ts': "const app = await import('../../../stacks/app.js');\n",
    });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      /cli\/ops\/checks\/health\.ts: imports \.\.\/\.\.\/\.\.\/stacks\/app\.js; within cli\//,
    );
    expect(result.output).not.toMatch(/cli\/ops\/deploy\/assembly\.ts/);
  });

  it('check-layers: tests mirror the source tree and load the CDK only where they test synthesis', async () => {
    const result = await checkTree({
      'sandbox/edge.ts': 'export const edge = 1;\n',
      'runtime/app.ts': 'export const app = 1;\n',
      'stacks/app.ts': 'export const app = 1;\n',
      'test/sandbox/edge.test.ts': "import { edge } from '../../sandbox/edge.js';\n",
      'test/sandbox/nowhere/x.test.ts': "import { edge } from '../../../sandbox/edge.js';\n",
      'test/support/cli.ts': "import { edge } from '../../sandbox/edge.js';\n",
      'test/runtime/canary.test.ts': `import { App } from '${CDK}';\n`,
      'test/stacks/app.test.ts': `import { App } from '${CDK}';\n`,
      'bench/run.ts': "import { edge } from '../sandbox/edge.js';\n",
    });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      /test\/sandbox\/nowhere\/x\.test\.ts: test\/sandbox\/nowhere\/ mirrors no source folder/,
    );
    expect(result.output).toMatch(/test\/runtime\/canary\.test\.ts: imports aws-cdk-lib/);
    expect(result.output).not.toMatch(/test\/sandbox\/edge\.test\.ts|test\/support|test\/stacks|bench\//);
  });
});
