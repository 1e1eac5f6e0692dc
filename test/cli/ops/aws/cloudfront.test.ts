import { describe, expect, it } from 'vitest';
import { originsOf } from '../../../../cli/ops/aws/cloudfront.js';
import { defaultTopology } from '../../../../core/topology.js';

const topology = defaultTopology();
const config = (...domains: string[]) => ({
  Origins: {
    Quantity: domains.length,
    Items: domains.map((DomainName, i) => ({ Id: `o${i}`, DomainName })),
  },
  DefaultCacheBehavior: { TargetOriginId: 'o0' } as never,
});

describe('cloudfront adapter', () => {
  it('originsOf: chat.<domain> follows DNS and names no region; a region’s own name pins that region', () => {
    expect(originsOf(topology, config('chat.example.com'))).toMatchObject({
      followsDns: true,
      origin: undefined,
      originDomain: 'chat.example.com',
    });
    // CloudFront may return the name in another case, or with its trailing dot.
    expect(originsOf(topology, config('Chat.Example.com.')).followsDns).toBe(true);
    expect(originsOf(topology, config('tokyo.chat.example.com'))).toMatchObject({
      followsDns: false,
      origin: 'tokyo',
    });
    expect(originsOf(topology, config('origin.elsewhere.net'))).toMatchObject({
      followsDns: false,
      origin: undefined,
    });
  });

  it('originsOf: an origin group lists the regions it can fail over to', () => {
    const grouped = {
      ...config('seoul.chat.example.com', 'na.chat.example.com'),
      OriginGroups: {
        Quantity: 1,
        Items: [
          {
            Id: 'g',
            Members: { Quantity: 2, Items: [{ OriginId: 'o0' }, { OriginId: 'o1' }] },
          },
        ],
      },
      DefaultCacheBehavior: { TargetOriginId: 'g' } as never,
    } as never;
    expect(originsOf(topology, grouped)).toMatchObject({
      origin: 'seoul',
      failover: ['na'],
      followsDns: false,
    });
  });
});
