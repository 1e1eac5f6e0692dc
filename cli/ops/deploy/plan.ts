/**
 * Which stacks a deploy touches, and in which order: the order comes from the cloud assembly's dependency graph
 * (what CloudFormation needs to exist first: an export before its import, the replica before the region, the
 * origin before the proxy), never from a fixed list. Ties are broken the way an operator reads the plan:
 * global data, auth, the regions (home first, then topology order), the China proxy. No CDK loaded here.
 */
import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import { findRegion, type Topology } from '../../../core/topology.js';

export const CHINA_PROXY_AWS_REGION = 'us-east-1';

export type StackKind = 'global-data' | 'auth' | 'region' | 'china-proxy';

/** A stack as the cloud assembly describes it: its name, region, and the stacks it depends on. */
export interface AssemblyStack {
  readonly stackName: string;
  readonly awsRegion: string;
  /** Names of the stacks that must be deployed before this one. */
  readonly dependencies: readonly string[];
}

export interface PlannedStack {
  readonly stackName: string;
  readonly kind: StackKind;
  readonly awsRegion: string;
  readonly regionKey?: string;
  /** Why this stack is in the plan, in a few words. */
  readonly why: string;
  /** The stacks of the plan it waits for (from the assembly). */
  readonly dependsOn: readonly string[];
}

/** True when the stacks create the Cognito user pool (auth mode cognito without an existing pool). */
export function createsUserPool(topology: Topology): boolean {
  return topology.auth.mode === 'cognito' && !topology.auth.userPoolId;
}

function describe(topology: Topology, stackName: string): Pick<PlannedStack, 'kind' | 'regionKey' | 'why'> {
  if (stackName === names.globalDataStack(topology)) {
    return { kind: 'global-data', why: 'the Global Table, one replica per region' };
  }
  if (stackName === names.authStack(topology)) {
    return {
      kind: 'auth',
      why: createsUserPool(topology)
        ? "the Cognito user pool and the canary's probe user"
        : "the canary's app client and probe user in the existing pool",
    };
  }
  if (stackName === names.chinaProxyStack(topology)) {
    return {
      kind: 'china-proxy',
      why: topology.china.originRegion
        ? `CloudFront proxy to ${topology.china.originRegion} (pinned)`
        : `CloudFront proxy to ${names.chatRecord(topology)} (latency DNS)`,
    };
  }
  const region = topology.regions.find((r) => names.regionStack(topology, r.key) === stackName);
  if (region) {
    return {
      kind: 'region',
      regionKey: region.key,
      why: region.key === topology.homeRegion ? 'home region' : 'region',
    };
  }
  throw new Error(`the cloud assembly has a stack chatctl does not know: ${stackName}`);
}

function rank(topology: Topology, stack: Pick<PlannedStack, 'kind' | 'regionKey'>): number {
  switch (stack.kind) {
    case 'global-data':
      return 0;
    case 'auth':
      return 1;
    case 'region':
      return stack.regionKey === topology.homeRegion
        ? 2
        : 3 + topology.regions.findIndex((r) => r.key === stack.regionKey);
    case 'china-proxy':
      return 1000;
  }
}

/**
 * Every stack of the assembly in an order that deploys each after all it depends on (or, with `region`, that
 * region's stack and what it depends on). Throws on a cycle, which CloudFormation could never deploy.
 */
export function planFromAssembly(
  topology: Topology,
  stacks: readonly AssemblyStack[],
  options: { region?: string } = {},
): PlannedStack[] {
  const byName = new Map(stacks.map((s) => [s.stackName, s]));
  let wanted = new Set(byName.keys());
  if (options.region !== undefined) {
    findRegion(topology, options.region);
    const root = names.regionStack(topology, options.region);
    if (!byName.has(root)) throw new Error(`the cloud assembly has no stack ${root}`);
    wanted = new Set();
    const visit = (name: string) => {
      if (wanted.has(name)) return;
      wanted.add(name);
      for (const dep of byName.get(name)?.dependencies ?? []) if (byName.has(dep)) visit(dep);
    };
    visit(root);
  }
  const planned = new Map<string, PlannedStack>();
  for (const name of wanted) {
    const stack = byName.get(name)!;
    planned.set(name, {
      stackName: name,
      awsRegion: stack.awsRegion,
      dependsOn: stack.dependencies.filter((d) => wanted.has(d)),
      ...describe(topology, name),
    });
  }
  const order: PlannedStack[] = [];
  const done = new Set<string>();
  while (done.size < planned.size) {
    const ready = [...planned.values()]
      .filter((s) => !done.has(s.stackName) && s.dependsOn.every((d) => done.has(d)))
      .sort((a, b) => rank(topology, a) - rank(topology, b) || a.stackName.localeCompare(b.stackName));
    if (ready.length === 0) {
      const stuck = [...planned.keys()].filter((n) => !done.has(n));
      throw new UserError(`the stacks depend on each other in a cycle: ${stuck.join(', ')}`, {
        hint: 'a stack change made two stacks reference each other; CloudFormation cannot deploy that',
      });
    }
    order.push(ready[0]);
    done.add(ready[0].stackName);
  }
  return order;
}

/** The parts of a cloud assembly (cx-api CloudAssembly) read to plan. */
export interface CloudAssemblyLike {
  readonly stacksRecursively: readonly {
    readonly id: string;
    readonly stackName: string;
    readonly environment: { readonly region: string };
    readonly dependencies: readonly { readonly id: string }[];
  }[];
}

/** The stacks of a synthesized assembly, with dependencies as stack names (asset artifacts left out). */
export function assemblyStacks(assembly: CloudAssemblyLike): AssemblyStack[] {
  const nameOf = new Map(assembly.stacksRecursively.map((s) => [s.id, s.stackName]));
  return assembly.stacksRecursively.map((s) => ({
    stackName: s.stackName,
    awsRegion: s.environment.region,
    dependencies: s.dependencies.map((d) => nameOf.get(d.id)).filter((n): n is string => n !== undefined),
  }));
}
