import { describe, expect, it } from 'vitest';
import { locateClient, regionLatencyMs } from '../../../sandbox/global/latency.js';
import { parseXml, XmlError } from '../../../sandbox/global/xml.js';

const locations = [
  { subnet: '211.45.0.0/24', awsRegion: 'ap-northeast-2' },
  { subnet: '133.242.0.0/24', awsRegion: 'ap-northeast-1' },
  { subnet: '52.32.0.0/24', awsRegion: 'us-west-2' },
];

describe('latency table', () => {
  it('latency: resembles real inter-region round trips and is symmetric', () => {
    expect(regionLatencyMs('ap-northeast-2', 'ap-northeast-1')).toBeGreaterThanOrEqual(20);
    expect(regionLatencyMs('ap-northeast-2', 'ap-northeast-1')).toBeLessThanOrEqual(40);
    expect(regionLatencyMs('ap-northeast-2', 'us-west-2')).toBeGreaterThanOrEqual(110);
    expect(regionLatencyMs('ap-northeast-1', 'us-west-2')).toBeLessThanOrEqual(140);
    expect(regionLatencyMs('us-west-2', 'ap-northeast-2')).toBe(
      regionLatencyMs('ap-northeast-2', 'us-west-2'),
    );
    expect(regionLatencyMs('eu-west-1', 'ap-southeast-2')).toBeGreaterThan(
      regionLatencyMs('eu-west-1', 'eu-central-1'),
    );
    expect(regionLatencyMs('us-east-1', 'us-east-1')).toBeLessThan(regionLatencyMs('us-east-1', 'us-east-2'));
  });

  it('locateClient: an address in a probe subnet is there; else the longest shared prefix; else nowhere', () => {
    expect(locateClient('133.242.0.77', locations)?.awsRegion).toBe('ap-northeast-1');
    expect(locateClient('211.45.9.1', locations)?.awsRegion).toBe('ap-northeast-2');
    expect(locateClient('52.40.1.1', locations)?.awsRegion).toBe('us-west-2');
    expect(locateClient('8.8.8.8', locations)).toBeUndefined();
    expect(locateClient('not-an-ip', locations)).toBeUndefined();
  });
});

describe('xml', () => {
  it('parseXml: reads nesting, entities, CDATA and namespaces; rejects what is not well-formed', () => {
    const root = parseXml(
      '<?xml version="1.0"?>\n<a:Root xmlns:a="urn:x"><Name>x &amp; y &#65;</Name><Empty/><C><![CDATA[<raw>]]></C></a:Root>',
    );
    expect(root.name).toBe('Root');
    expect(root.children.map((c) => [c.name, c.text])).toEqual([
      ['Name', 'x & y A'],
      ['Empty', ''],
      ['C', '<raw>'],
    ]);
    for (const bad of ['<A><B></A>', '<A>', '', '<A></A><B></B>', '<!DOCTYPE x><A/>', '<A>&bogus;</A>']) {
      expect(() => parseXml(bad), bad).toThrow(XmlError);
    }
  });
});
