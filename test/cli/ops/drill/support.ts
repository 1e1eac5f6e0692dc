/** A sandbox with Route 53, CloudFront and the China proxy, for the drain / drill / China tests. */
import { randomBytes } from 'node:crypto';
import {
  ListHealthChecksCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  UpdateHealthCheckCommand,
} from '@aws-sdk/client-route-53';
import { inject } from 'vitest';
import { route53Client, withClient } from '../../../../cli/ops/aws/clients.js';
import { whereUsersGo as dnsAnswer, listHealthChecks } from '../../../../cli/ops/aws/route53.js';
import { moveChinaOrigin } from '../../../../cli/ops/routing/china-origin.js';
import { readRoutingStates } from '../../../../cli/ops/routing/observe.js';
import { sandboxTarget, type Target } from '../../../../cli/ops/target.js';
import { CHINA_ORIGIN_GLOBAL, defaultTopology, type Topology } from '../../../../core/topology.js';
import { createChatApp, type WebSocketEvent } from '../../../../runtime/app.js';
import { type Sandbox, type SandboxOptions, start } from '../../../../sandbox/index.js';
import type { ChatAppFactory } from '../../../../sandbox/runtime-host.js';

/**
 * The default topology with a replication threshold that a loaded test machine stays under, and the China
 * origin pinned to seoul (so the drain and drill tests meet the rule that guards a pinned origin).
 */
export function testTopology(): Topology {
  return {
    ...defaultTopology(),
    china: { enabled: true, originRegion: 'seoul' },
    replication: { lagThresholdMs: 10_000 },
  };
}

/**
 * A createApp whose region's $connect answers 500 while `broken` is set, as a broken deploy would (its /health
 * still answers 200): what the chat canary, and nothing else, sees.
 */
export function breakableConnect(regionKey: string): { createApp: ChatAppFactory; broken: boolean } {
  const switchable: { createApp: ChatAppFactory; broken: boolean } = {
    broken: false,
    createApp: (config, deps) => {
      const app = createChatApp(config, deps);
      if (config.regionKey !== regionKey) return app;
      return {
        ...app,
        connect: (event: WebSocketEvent) =>
          switchable.broken ? Promise.resolve({ statusCode: 500 }) : app.connect(event),
      };
    },
  };
  return switchable;
}

/** The TTL of the hosted zone's records in the drill sandboxes (shorter than the sandbox's default of 5 s). */
export const DRILL_DNS_TTL_SECONDS = 2;

export async function startDrillSandbox(
  options: SandboxOptions = {},
  topology: Topology = testTopology(),
): Promise<{ sandbox: Sandbox; target: Target }> {
  const sandbox = await start(topology, {
    port: 0,
    dynamoEndpoint: inject('dynamoEndpoint'),
    instanceId: `drill${randomBytes(5).toString('hex')}`,
    // Inverting a check takes effect at once, so a long interval does not slow the drills down; it keeps a
    // /health answer that is slow on a loaded machine (the checker's timeout is the interval) from flipping it.
    healthCheckIntervalMs: 2000,
    failureThreshold: 3,
    // A drill's moving client honours the records' TTL: a short one keeps each full drill short.
    dnsTtlSeconds: DRILL_DNS_TTL_SECONDS,
    lag: 20,
    onError: () => {},
    ...options,
  });
  const target = sandboxTarget(sandbox.topology, sandbox.state);
  if (options.globalServices !== false) await waitAllHealthy(target);
  return { sandbox, target };
}

/**
 * Until Route 53's checkers have seen every region healthy (right after start they have no observation yet; with
 * the canary, each judge's alarm has no data for its first period and counts as unhealthy until then).
 */
export async function waitAllHealthy(target: Target, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await withClient(route53Client(target), (client) => readRoutingStates(target, client));
    if (states.every((s) => s.healthy && !s.inverted)) return;
    if (Date.now() > deadline) throw new Error(`regions not healthy: ${JSON.stringify(states)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Puts every health check back to not inverted and the China origin back where chatctl.json says. */
export async function resetRouting(target: Target): Promise<void> {
  await withClient(route53Client(target), async (client) => {
    for (const check of await listHealthChecks(client)) {
      if (!check.HealthCheckConfig?.Inverted) continue;
      await client.send(new UpdateHealthCheckCommand({ HealthCheckId: check.Id, Inverted: false }));
    }
  });
  if (target.topology.china.enabled) {
    await moveChinaOrigin(target, target.topology.china.originRegion ?? CHINA_ORIGIN_GLOBAL, { wait: false });
  }
  await waitAllHealthy(target);
}

/** ListResourceRecordSets and ListHealthChecks as JSON, without request ids: what a dry run must not change. */
export async function routingSnapshot(target: Target): Promise<string> {
  const client = new Route53Client(target.globalClientConfig());
  try {
    const zone = target.hostedZoneId;
    const { $metadata: _a, ...records } = await client.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zone }),
    );
    const { $metadata: _b, ...checks } = await client.send(new ListHealthChecksCommand({}));
    return JSON.stringify({ records, checks });
  } finally {
    client.destroy();
  }
}

/** The region Route 53 sends the users of `key` to now. */
export async function whereUsersGo(target: Target, key: string): Promise<string | undefined> {
  return (await withClient(route53Client(target), (client) => dnsAnswer(target, client, key))).region;
}
