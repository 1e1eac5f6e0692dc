import { describe, expect, it } from 'vitest';
import { CLOUDFRONT } from '../../../sandbox/services/cloudfront/definition.js';
import { CLOUDWATCH } from '../../../sandbox/services/cloudwatch/definition.js';
import { defineService, type ServiceNeeds } from '../../../sandbox/services/definition.js';
import { DNS } from '../../../sandbox/services/dns/definition.js';
import { isPartNeed, PARTS } from '../../../sandbox/services/parts.js';
import { type AnyDefinition, SERVICES, startOrder } from '../../../sandbox/services/registry.js';
import { ROUTE53 } from '../../../sandbox/services/route53/definition.js';

const names = (definitions: readonly AnyDefinition[]) => definitions.map((d) => d.name);

describe('registry', () => {
  it('registry: the start order puts each service after the services it needs, else keeps the list order', () => {
    expect(names(startOrder([DNS, CLOUDFRONT, ROUTE53, CLOUDWATCH]))).toEqual([
      'monitoring',
      'route53',
      'dns',
      'cloudfront',
    ]);
    // A need that is not run (Route 53 without CloudWatch, in the global-only testbed) is left out.
    expect(names(startOrder([CLOUDFRONT, ROUTE53]))).toEqual(['route53', 'cloudfront']);
  });

  it('registry: every service has its own name, and what it needs is in the registry', () => {
    expect(new Set(names(SERVICES)).size).toBe(SERVICES.length);
    for (const definition of SERVICES) {
      for (const need of Object.values(definition.needs as ServiceNeeds)) {
        if (isPartNeed(need)) expect(PARTS[need.part], `${definition.name} needs ${need.part}`).toBe(need);
        else expect(SERVICES, `${definition.name} needs ${need.name}`).toContain(need);
      }
    }
  });

  it('registry: a service that speaks no AWS API on the edge takes no name an AWS client signs with', () => {
    // The edge routes a signed request by its credential scope's service: an EventBridge or Firehose client must
    // hear "not emulated", not reach the local bus or the analytics pipeline, which speak neither API.
    const awsSigningNames = [
      'events',
      'firehose',
      'kinesis',
      'pipes',
      's3',
      'athena',
      'glue',
      'states',
      'scheduler',
    ];
    for (const definition of SERVICES.filter((d) => d.protocol === undefined && d.ports === undefined)) {
      expect(definition.name, 'a service without an AWS protocol').toMatch(/^chatctl-/);
      expect(awsSigningNames).not.toContain(definition.name);
    }
    expect(SERVICES.filter((d) => d.name.startsWith('chatctl-')).length).toBeGreaterThanOrEqual(2);
  });

  it('registry: services that need each other are refused by name', () => {
    const needs: Record<string, AnyDefinition> = {};
    const a = defineService({ name: 'a', needs, load: async () => () => undefined });
    const b = defineService({ name: 'b', needs: { a }, load: async () => () => undefined });
    needs.b = b;
    expect(() => startOrder([a, b])).toThrow(/need each other: a/);
  });
});
