/** Route 53's namespace, API version and request-body parsing (its wording of a malformed body). */

import { parseRequestDocument } from '../../wire/rest-xml.js';
import type { XmlElement } from '../../wire/xml.js';

export const ROUTE53_XMLNS = 'https://route53.amazonaws.com/doc/2013-04-01/';
export const API = '/2013-04-01';

export function parseRoute53Body(body: Buffer, root: string): XmlElement {
  return parseRequestDocument(body, root, {
    code: 'InvalidInput',
    malformed: (problem) => `Invalid XML ; ${problem}`,
    wrongRoot: (found) => `Invalid request: expected a ${root} document, got <${found}>`,
  });
}
