/**
 * A deploy's plan, before anything changes: who the credentials are, the cloud assembly (synthesized offline),
 * the stacks in dependency order, the Global Table's replica changes against what is deployed, and every
 * preflight check. `chatctl deploy --dry-run` prints it; `chatctl deploy` refuses when a check fails.
 */
import { UserError } from '../../../core/errors.js';
import { findRegion, type Topology } from '../../../core/topology.js';
import type { Target } from '../target.js';
import { CallbackIoHost, chatAssemblySource, createToolkit } from './assembly.js';
import { requireAwsCredentials } from './credentials.js';
import { assemblyStacks, type CloudAssemblyLike, type PlannedStack, planFromAssembly } from './plan.js';
import {
  BASELINE_BOOTSTRAP_VERSION,
  bootstrapCheck,
  concurrencyCheck,
  DEFAULT_BOOTSTRAP_QUALIFIER,
  type PreflightCheck,
  readBootstrapVersion,
  readDeployedReplicas,
  readLambdaConcurrencyQuota,
  reservedConcurrency,
} from './preflight.js';
import { type ReplicaChanges, type ReplicaStep, replicaSteps } from './replicas.js';

/** One line of the ordered plan. */
export type DeployStep =
  | ({ readonly action: 'deploy-stack' } & PlannedStack)
  | (ReplicaStep & { readonly stackName?: string });

export interface DeployPlan {
  readonly target: 'sandbox' | 'aws';
  readonly account: string;
  readonly stacks: readonly PlannedStack[];
  readonly replicas: ReplicaChanges;
  /** Everything in the order it runs: replica changes first (one per update), then the stacks. */
  readonly steps: readonly DeployStep[];
  readonly checks: readonly PreflightCheck[];
}

export interface PrepareOptions {
  readonly region?: string;
  readonly outDir?: string;
  /** Bundle the handlers (a real deploy); a dry run plans from placeholder code (same stacks and order). */
  readonly bundle: boolean;
  readonly ioHost?: CallbackIoHost;
}

/** The minimum bootstrap version and its SSM parameter, as the assembly's stacks require them. */
function bootstrapRequirement(assembly: CloudAssemblyLike): { version: number; parameter: string } {
  let version = BASELINE_BOOTSTRAP_VERSION;
  let parameter = `/cdk-bootstrap/${DEFAULT_BOOTSTRAP_QUALIFIER}/version`;
  for (const stack of assembly.stacksRecursively as unknown as {
    requiresBootstrapStackVersion?: number;
    bootstrapStackVersionSsmParameter?: string;
  }[]) {
    version = Math.max(version, stack.requiresBootstrapStackVersion ?? 0);
    parameter = stack.bootstrapStackVersionSsmParameter ?? parameter;
  }
  return { version, parameter };
}

/** Synthesizes, reads what is deployed and checks every target region. The assembly is returned undisposed. */
export async function prepareDeploy(topology: Topology, target: Target, options: PrepareOptions) {
  if (options.region !== undefined) findRegion(topology, options.region);
  const identity = await requireAwsCredentials(topology, 'deploy', target.globalClientConfig());
  const toolkit = await createToolkit(options.ioHost ?? new CallbackIoHost());
  const { source, findings } = await chatAssemblySource(toolkit, topology, {
    bundle: options.bundle,
    outDir: options.outDir ?? 'cdk.out',
  });
  const assembly = await toolkit.synth(source);
  try {
    if (findings.length > 0) {
      throw new UserError(
        `cdk-nag reports ${findings.length} unacknowledged finding(s); nothing was deployed`,
        {
          hint: 'run: chatctl synth (it lists them), then fix or acknowledge them with a reason in stacks/',
        },
      );
    }
    const cloud = assembly.cloudAssembly as unknown as CloudAssemblyLike;
    const stacks = planFromAssembly(topology, assemblyStacks(cloud), { region: options.region });
    const home = findRegion(topology, topology.homeRegion).awsRegion;
    const deployed = await readDeployedReplicas(topology, target.clientConfig(home));
    const replicas = replicaSteps(topology, deployed);
    const requirement = bootstrapRequirement(cloud);
    const regions = [
      ...new Set([
        ...stacks.map((s) => s.awsRegion),
        ...replicas.steps.map((s) => (s.action === 'delete-region-stack' ? s.awsRegion : home)),
      ]),
    ];
    const checks: PreflightCheck[] = [
      {
        name: 'credentials',
        ok: true,
        detail: `account ${identity.account} (${identity.arn || 'caller'})`,
      },
    ];
    const [bootstraps, quotas] = await Promise.all([
      Promise.all(
        regions.map(async (r) =>
          bootstrapCheck(
            topology,
            r,
            await readBootstrapVersion(target.clientConfig(r), requirement.parameter),
            requirement.version,
          ),
        ),
      ),
      Promise.all(
        regions
          .filter((r) => reservedConcurrency(topology, r) > 0)
          .map(async (r) =>
            concurrencyCheck(topology, await readLambdaConcurrencyQuota(target.clientConfig(r)), {
              deployedHere: deployed?.includes(r) ?? false,
            }),
          ),
      ),
    ]);
    checks.push(...bootstraps, ...quotas);
    checks.push({
      name: 'replicas',
      awsRegion: home,
      ok: true,
      detail:
        deployed === undefined
          ? `no table yet: it is created with ${replicas.additions.length} replica(s)`
          : `deployed: ${deployed.join(', ')}; to add: ${replicas.additions.join(', ') || 'none'}; to remove: ${replicas.removals.join(', ') || 'none'}`,
    });
    const steps: DeployStep[] = [
      ...replicas.steps,
      ...stacks.map((s) => ({ action: 'deploy-stack' as const, ...s })),
    ];
    const plan: DeployPlan = {
      target: target.kind,
      account: identity.account,
      stacks,
      replicas,
      steps,
      checks,
    };
    return { plan, toolkit, assembly };
  } catch (error) {
    await assembly.dispose();
    throw error;
  }
}

/** The plan as an operator reads it: numbered steps, then the checks. */
export function formatPlan(plan: DeployPlan): string[] {
  const lines = [`deploy plan (${plan.target}, account ${plan.account}):`];
  plan.steps.forEach((step, i) => {
    const n = `${String(i + 1).padStart(2)}.`;
    if (step.action === 'deploy-stack') {
      const after = step.dependsOn.length > 0 ? ` (after ${step.dependsOn.join(', ')})` : '';
      lines.push(`${n} deploy ${step.stackName} in ${step.awsRegion}: ${step.why}${after}`);
    } else if (step.action === 'delete-region-stack') {
      lines.push(`${n} delete the region stack in ${step.awsRegion}: ${step.why}`);
    } else {
      lines.push(`${n} update the Global Table: ${step.why} (replicas ${step.replicaRegions.join(', ')})`);
    }
  });
  lines.push('preflight:');
  for (const check of plan.checks) {
    lines.push(
      `  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name}${check.awsRegion ? ` ${check.awsRegion}` : ''}: ${check.detail}`,
    );
    if (!check.ok && check.action) lines.push(`       -> ${check.action}`);
  }
  return lines;
}
