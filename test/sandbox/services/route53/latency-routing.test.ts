import { describe, expect, it } from 'vitest';
import { locateClient } from '../../../../sandbox/services/route53/latency-routing.js';

const locations = [
  { subnet: '211.45.0.0/24', awsRegion: 'ap-northeast-2' },
  { subnet: '133.242.0.0/24', awsRegion: 'ap-northeast-1' },
  { subnet: '52.32.0.0/24', awsRegion: 'us-west-2' },
];

describe('latency routing', () => {
  it('locateClient: an address in a probe subnet is there; else the longest shared prefix; else nowhere', () => {
    expect(locateClient('133.242.0.77', locations)?.awsRegion).toBe('ap-northeast-1');
    expect(locateClient('211.45.9.1', locations)?.awsRegion).toBe('ap-northeast-2');
    expect(locateClient('52.40.1.1', locations)?.awsRegion).toBe('us-west-2');
    expect(locateClient('8.8.8.8', locations)).toBeUndefined();
    expect(locateClient('not-an-ip', locations)).toBeUndefined();
  });
});
