/**
 * Builds the chat app's cloud assembly with @aws-cdk/toolkit-lib: offline (no lookups, no STS), from the
 * topology, with cdk-nag's AwsSolutions checks run on the construct tree. Loaded only by synth/diff/deploy.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IIoHost, IoMessage, IoRequest, Toolkit } from '@aws-cdk/toolkit-lib';
import { UserError } from '../../../core/errors.js';
import { ROUTES } from '../../../core/protocol.js';
import type { Topology } from '../../../core/topology.js';

export interface NagFinding {
  readonly rule: string;
  readonly severity: string;
  readonly description: string;
  readonly constructPaths: readonly string[];
}

export interface AssemblyOptions {
  /** Bundle runtime/handlers with esbuild (true), or use placeholder code to check the infrastructure only. */
  readonly bundle: boolean;
  readonly outDir: string;
  readonly projectRoot?: string;
  /** The Global Table's replicas (AWS region codes) for one step of a stepwise replica change. */
  readonly replicaRegions?: readonly string[];
  readonly unprotectedReplicas?: readonly string[];
}

/**
 * The feature flags and settings of cdk.json's "context": the plain CDK CLI reads them from there, and chatctl
 * passes the same ones, so both synthesize the same templates.
 */
export function cdkJsonContext(projectRoot = findProjectRoot()): Record<string, unknown> {
  const path = join(projectRoot, 'cdk.json');
  if (!existsSync(path)) return {};
  return ((JSON.parse(readFileSync(path, 'utf8')) as { context?: Record<string, unknown> }).context ??
    {}) as Record<string, unknown>;
}

/** The folder holding chatctl's package.json (sources and dist/ alike). */
export function findProjectRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'chatctl') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the chatctl project folder (package.json)');
    dir = parent;
  }
}

/** An IoHost that hands messages to a callback and answers deploy confirmations with `approve`. */
export class CallbackIoHost implements IIoHost {
  constructor(
    private readonly onMessage: (message: IoMessage<unknown>) => void = () => {},
    private readonly approve: (request: IoRequest<unknown, unknown>) => boolean = () => false,
  ) {}

  async notify(message: IoMessage<unknown>): Promise<void> {
    this.onMessage(message);
  }

  async requestResponse<T>(request: IoRequest<unknown, T>): Promise<T> {
    if (request.code === 'CDK_TOOLKIT_I5060' || request.code === 'CDK_TOOLKIT_I5050') {
      return this.approve(request as IoRequest<unknown, unknown>) as T;
    }
    return request.defaultResponse;
  }
}

export async function createToolkit(ioHost: IIoHost): Promise<Toolkit> {
  const { Toolkit } = await import('@aws-cdk/toolkit-lib');
  return new Toolkit({ ioHost, color: false, emojis: false });
}

/**
 * A cloud assembly source for the chat app. `findings` is filled with cdk-nag's unacknowledged findings when the
 * source is produced (by synth, diff or deploy).
 */
export async function chatAssemblySource(toolkit: Toolkit, topology: Topology, options: AssemblyOptions) {
  const [
    { App },
    { AwsSolutionsChecks },
    { addChatStacks },
    { insecureAwsSynthProblems },
    { bundleHandlers },
  ] = await Promise.all([
    import('aws-cdk-lib'),
    import('cdk-nag'),
    import('../../../stacks/app.js'),
    import('../../../stacks/secure-synth.js'),
    import('../../../stacks/handler-bundles.js'),
  ]);
  const findings: NagFinding[] = [];
  const projectRoot = options.projectRoot ?? findProjectRoot();
  if (options.bundle) {
    const missing = ROUTES.filter(
      (route) => !existsSync(join(projectRoot, 'runtime', 'handlers', `${route}.ts`)),
    );
    if (missing.length > 0) {
      throw new UserError(`cannot bundle: runtime/handlers/${missing[0]}.ts is missing`, {
        hint: 'synthesize without bundling (chatctl synth --no-bundle) to check the infrastructure only',
      });
    }
  }
  // Bundled once for every region (and not at all when the sources are those of the cached bundles).
  const bundles = options.bundle ? await bundleHandlers(projectRoot) : undefined;
  const source = await toolkit.fromAssemblyBuilder(
    async (props) => {
      const app = new App({
        outdir: props.outdir,
        context: { ...cdkJsonContext(projectRoot), ...props.context },
      });
      addChatStacks(app, topology, {
        code: bundles ? { kind: 'bundle', bundles } : { kind: 'placeholder' },
        replicaRegions: options.replicaRegions,
        unprotectedReplicas: options.unprotectedReplicas,
      });
      if (topology.target === 'aws') {
        const problems = insecureAwsSynthProblems(app, topology);
        if (problems.length > 0) {
          throw new UserError(`refusing to synthesize for AWS: ${problems.join('; ')}`, {
            hint: 'no secret belongs in a template: auth mode "dev" keeps its secret in Secrets Manager',
          });
        }
      }
      const report = new AwsSolutionsChecks(app).validateScope(app);
      findings.length = 0;
      for (const violation of report.violations ?? []) {
        findings.push({
          rule: violation.ruleName,
          severity: violation.severity ?? 'error',
          description: violation.description,
          constructPaths: violation.violatingResources.map(
            (r) => r.constructPath ?? r.resourceLogicalId ?? '?',
          ),
        });
      }
      return app.synth();
    },
    {
      outdir: options.outDir,
      lookups: false,
      resolveDefaultEnvironment: false,
      clobberEnv: false,
      disposeOutdir: false,
    },
  );
  return { source, findings };
}
