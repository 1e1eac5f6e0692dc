/**
 * The whole chat app from one topology: global data (home region), auth (Cognito mode: the pool, or the canary's
 * client and probe user in an existing one),
 * one stack per region, and the China proxy (us-east-1). bin/cdk.ts and `chatctl synth/diff/deploy` both build
 * the app with this function, so a plain `npx cdk synth` and chatctl agree.
 */
import type { App } from 'aws-cdk-lib';
import { names } from '../core/names.js';
import type { Topology } from '../core/topology.js';
import { AuthStack } from './auth-stack.js';
import type { HandlerCode } from './chat-function.js';
import { ChinaProxyStack } from './china-proxy-stack.js';
import { GlobalDataStack } from './global-data-stack.js';
import { RegionStack } from './region-stack.js';
import type { StackAuth } from './runtime-environment.js';
import { validateTopology } from './validate.js';

export interface ChatAppOptions {
  readonly code: HandlerCode;
  /**
   * The Global Table's replicas as AWS region codes (default: one per region), and those deployed with deletion
   * protection off (a replica about to be removed). A deploy that changes several replicas synthesizes one step
   * at a time (DynamoDB takes one replica change per update).
   */
  readonly replicaRegions?: readonly string[];
  readonly unprotectedReplicas?: readonly string[];
}

export interface ChatStacks {
  readonly globalData: GlobalDataStack;
  readonly auth?: AuthStack;
  readonly regions: ReadonlyMap<string, RegionStack>;
  readonly chinaProxy?: ChinaProxyStack;
  /**
   * Every stack: global data, auth, regions (home first), China proxy. `chatctl deploy` orders them by the cloud
   * assembly's dependencies (cli/ops/deploy/plan.ts), which this order satisfies.
   */
  readonly ordered: readonly (GlobalDataStack | AuthStack | RegionStack | ChinaProxyStack)[];
}

/** Construct ids (= artifact ids in the cloud assembly) are the stack names. */
export function addChatStacks(app: App, input: Topology, options: ChatAppOptions): ChatStacks {
  const topology = validateTopology('ChatApp', input);

  let auth: AuthStack | undefined;
  let stackAuth: StackAuth;
  if (topology.auth.mode === 'dev') {
    // The handlers read the secret (created by the global data stack) at run time: only its name is passed.
    stackAuth = { mode: 'dev', secretName: names.devTokenSecret(topology) };
  } else {
    // The pool (unless chatctl.json names an existing one) and the canary's client and probe user in it.
    auth = new AuthStack(app, names.authStack(topology), { topology, code: options.code });
    stackAuth = auth.stackAuth;
  }

  const globalData = new GlobalDataStack(app, names.globalDataStack(topology), {
    topology,
    code: options.code,
    replicaRegions: options.replicaRegions,
    unprotectedReplicas: options.unprotectedReplicas,
  });
  const ordered: ChatStacks['ordered'][number][] = [globalData];
  if (auth) ordered.push(auth);
  const regions = new Map<string, RegionStack>();
  const homeFirst = [
    ...topology.regions.filter((r) => r.key === topology.homeRegion),
    ...topology.regions.filter((r) => r.key !== topology.homeRegion),
  ];
  for (const region of homeFirst) {
    const stack = new RegionStack(app, names.regionStack(topology, region.key), {
      topology,
      regionKey: region.key,
      code: options.code,
      auth: stackAuth,
      // The pool and client ids come from the auth stack in the pool's region: the only cross-region references.
      crossRegionReferences: auth !== undefined,
    });
    // The replica must exist in the region before the region's functions use it.
    stack.addStackDependency(globalData);
    if (auth) stack.addStackDependency(auth);
    regions.set(region.key, stack);
    ordered.push(stack);
  }
  let chinaProxy: ChinaProxyStack | undefined;
  if (topology.china.enabled) {
    chinaProxy = new ChinaProxyStack(app, names.chinaProxyStack(topology), { topology });
    // After the regions that serve its origin: the pinned one, or every region (each serves chat.<domain>).
    const origin = topology.china.originRegion;
    for (const [key, stack] of regions) if (!origin || key === origin) chinaProxy.addStackDependency(stack);
    ordered.push(chinaProxy);
  }
  return { globalData, auth, regions, chinaProxy, ordered };
}
