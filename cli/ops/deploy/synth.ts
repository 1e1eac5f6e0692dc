/** `chatctl synth`: the cloud assembly of every stack, offline, with a summary of what is in it. */
import { resolve } from 'node:path';
import type { Topology } from '../../../core/topology.js';
import { CallbackIoHost, chatAssemblySource, createToolkit, type NagFinding } from './assembly.js';
import { assemblyStacks, type CloudAssemblyLike, planFromAssembly } from './plan.js';

export interface SynthStackSummary {
  readonly stackName: string;
  readonly awsRegion: string;
  readonly resourceCount: number;
  /** CloudFormation resource type -> how many. */
  readonly resources: Readonly<Record<string, number>>;
}

export interface SynthSummary {
  readonly outDir: string;
  readonly bundled: boolean;
  readonly stacks: readonly SynthStackSummary[];
  /** cdk-nag AwsSolutions findings that are not acknowledged (acknowledged ones carry their reason in stacks/). */
  readonly findings: readonly NagFinding[];
  readonly elapsedMs: number;
}

export interface SynthOptions {
  readonly outDir?: string;
  readonly bundle?: boolean;
  readonly onMessage?: (text: string) => void;
}

export async function synthesize(topology: Topology, options: SynthOptions = {}): Promise<SynthSummary> {
  const started = performance.now();
  const outDir = resolve(options.outDir ?? 'cdk.out');
  const bundle = options.bundle ?? true;
  const toolkit = await createToolkit(
    new CallbackIoHost((message) => {
      if (message.level === 'error' || message.level === 'warn') options.onMessage?.(message.message);
    }),
  );
  const { source, findings } = await chatAssemblySource(toolkit, topology, {
    bundle,
    outDir,
  });
  const assembly = await toolkit.synth(source);
  try {
    const stacks = assembly.cloudAssembly.stacksRecursively.map((stack) => {
      const resources: Record<string, number> = {};
      const template = stack.template as { Resources?: Record<string, { Type: string }> };
      for (const resource of Object.values(template.Resources ?? {})) {
        resources[resource.Type] = (resources[resource.Type] ?? 0) + 1;
      }
      return {
        stackName: stack.stackName,
        awsRegion: stack.environment.region,
        resourceCount: Object.values(resources).reduce((sum, n) => sum + n, 0),
        resources: Object.fromEntries(Object.entries(resources).sort(([a], [b]) => a.localeCompare(b))),
      };
    });
    // Listed in deploy order: the assembly's dependency graph (cli/ops/deploy/plan.ts).
    const order = planFromAssembly(
      topology,
      assemblyStacks(assembly.cloudAssembly as unknown as CloudAssemblyLike),
    ).map((p) => p.stackName);
    stacks.sort((a, b) => order.indexOf(a.stackName) - order.indexOf(b.stackName));
    return {
      outDir,
      bundled: bundle,
      stacks,
      findings: [...findings],
      elapsedMs: performance.now() - started,
    };
  } finally {
    await assembly.dispose();
  }
}
