import { describe, expect, it } from 'vitest';
import { parseXml, XmlError } from '../../../sandbox/wire/xml.js';

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
