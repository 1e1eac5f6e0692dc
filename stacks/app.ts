/**
 * The whole chat app from one topology: global data (home region), auth (when a Cognito pool is created here),
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
import { StackPropsError, validateTopology } from './validate.js';

/** Stands in for the dev-token secret when none was given; `chatctl deploy` refuses to deploy it. */
export const DEV_SECRET_PLACEHOLDER = 'unset-set-CHATCTL_DEV_TOKEN_SECRET-before-deploying';

export interface ChatAppOptions {
  readonly code: HandlerCode;
  /** auth.mode "dev": the secret dev tokens are signed with (given by the caller; stacks read no env). */
  readonly devTokenSecret?: string;
}

export interface ChatStacks {
  readonly globalData: GlobalDataStack;
  readonly auth?: AuthStack;
  readonly regions: ReadonlyMap<string, RegionStack>;
  readonly chinaProxy?: ChinaProxyStack;
  /** Every stack, in deploy order: global data, auth, regions (home first), China proxy. */
  readonly ordered: readonly (GlobalDataStack | AuthStack | RegionStack | ChinaProxyStack)[];
}

/** Construct ids (= artifact ids in the cloud assembly) are the stack names. */
export function addChatStacks(app: App, input: Topology, options: ChatAppOptions): ChatStacks {
  const topology = validateTopology('ChatApp', input);
  if (options.devTokenSecret !== undefined && options.devTokenSecret.length < 16) {
    throw new StackPropsError('ChatApp', 'devTokenSecret must be at least 16 characters');
  }

  let auth: AuthStack | undefined;
  let stackAuth: StackAuth;
  if (topology.auth.mode === 'dev') {
    stackAuth = { mode: 'dev', devTokenSecret: options.devTokenSecret ?? DEV_SECRET_PLACEHOLDER };
  } else if (topology.auth.userPoolId && topology.auth.userPoolClientId) {
    stackAuth = {
      mode: 'cognito',
      userPoolId: topology.auth.userPoolId,
      userPoolClientId: topology.auth.userPoolClientId,
    };
  } else {
    auth = new AuthStack(app, names.authStack(topology), { topology });
    stackAuth = { mode: 'cognito', userPoolId: auth.userPoolId, userPoolClientId: auth.userPoolClientId };
  }

  const globalData = new GlobalDataStack(app, names.globalDataStack(topology), {
    topology,
    code: options.code,
    auth: stackAuth,
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
      // The pool ids come from the auth stack in the home region: the only cross-region reference.
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
    chinaProxy.addStackDependency(regions.get(topology.china.originRegion)!);
    ordered.push(chinaProxy);
  }
  return { globalData, auth, regions, chinaProxy, ordered };
}
