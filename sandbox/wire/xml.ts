/**
 * A small XML reader and writer for the sandbox's XML services (Route 53, CloudFront, STS's query answers)
 * and error shapes; the one escapeXml of the sandbox.
 * Element order is kept, attributes are read but not needed, text is unescaped. Enough for AWS request
 * bodies; anything that is not well-formed raises XmlError, which the services answer as a 400.
 */

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** Concatenated text directly inside this element (trimmed when it has child elements). */
  text: string;
}

export class XmlError extends Error {
  override name = 'XmlError';
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    const known = ENTITIES[entity];
    if (known === undefined) throw new XmlError(`unknown entity ${whole}`);
    return known;
  });
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const NAME = /^[A-Za-z_][\w.:-]*/;

/** Parses a document and returns its root element; namespace prefixes are dropped from element names. */
export function parseXml(source: string): XmlElement {
  let pos = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (what: string): never => {
    throw new XmlError(`malformed XML at offset ${pos}: ${what}`);
  };
  while (pos < source.length) {
    const lt = source.indexOf('<', pos);
    const textEnd = lt === -1 ? source.length : lt;
    if (textEnd > pos) {
      const text = source.slice(pos, textEnd);
      const top = stack.at(-1);
      if (top) top.text += unescapeXml(text);
      else if (text.trim() !== '') fail('text outside the root element');
      pos = textEnd;
      continue;
    }
    if (source.startsWith('<?', pos)) {
      const end = source.indexOf('?>', pos);
      if (end === -1) fail('unterminated processing instruction');
      pos = end + 2;
    } else if (source.startsWith('<!--', pos)) {
      const end = source.indexOf('-->', pos);
      if (end === -1) fail('unterminated comment');
      pos = end + 3;
    } else if (source.startsWith('<![CDATA[', pos)) {
      const end = source.indexOf(']]>', pos);
      if (end === -1) fail('unterminated CDATA');
      const top = stack.at(-1) ?? fail('CDATA outside the root element');
      top.text += source.slice(pos + 9, end);
      pos = end + 3;
    } else if (source.startsWith('<!', pos)) {
      fail('DOCTYPE is not allowed');
    } else if (source.startsWith('</', pos)) {
      const end = source.indexOf('>', pos);
      if (end === -1) fail('unterminated closing tag');
      const name = localName(source.slice(pos + 2, end).trim());
      const top = stack.pop();
      if (!top || top.name !== name) fail(`unexpected </${name}>`);
      pos = end + 1;
    } else {
      pos += 1;
      const nameMatch = NAME.exec(source.slice(pos, pos + 200));
      if (!nameMatch) fail('bad element name');
      const name = localName((nameMatch as RegExpExecArray)[0]);
      pos += (nameMatch as RegExpExecArray)[0].length;
      const attributes = Object.create(null) as Record<string, string>;
      for (;;) {
        while (/\s/.test(source[pos] ?? '')) pos++;
        if (source.startsWith('/>', pos) || source[pos] === '>') break;
        const attr = /^([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(source.slice(pos, pos + 4096));
        if (!attr) fail('bad attribute');
        const a = attr as RegExpExecArray;
        attributes[a[1]] = unescapeXml(a[3] ?? a[4] ?? '');
        pos += a[0].length;
      }
      const element: XmlElement = { name, attributes, children: [], text: '' };
      const parent = stack.at(-1);
      if (parent) parent.children.push(element);
      else if (root) fail('more than one root element');
      else root = element;
      if (source.startsWith('/>', pos)) {
        pos += 2;
      } else {
        pos += 1;
        stack.push(element);
      }
    }
  }
  if (stack.length > 0) fail(`unclosed <${stack.at(-1)?.name}>`);
  if (!root) throw new XmlError('empty document');
  trimMixed(root);
  return root;
}

function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

function trimMixed(element: XmlElement): void {
  if (element.children.length > 0) {
    element.text = element.text.trim();
    for (const child of element.children) trimMixed(child);
  }
}

/** The first child element with this name. */
export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

/** Text of a path of child elements, e.g. childText(root, 'ChangeBatch', 'Comment'). */
export function childText(element: XmlElement | undefined, ...path: string[]): string | undefined {
  let current = element;
  for (const name of path) current = child(current, name);
  return current?.text;
}

export function children(element: XmlElement | undefined, name: string): XmlElement[] {
  return element?.children.filter((c) => c.name === name) ?? [];
}

/** A value to write: text, a nested element list, or undefined (left out). */
export type XmlValue = string | number | boolean | XmlNode[] | undefined | null;
export type XmlNode = readonly [name: string, value: XmlValue];

/** Writes nodes as XML; undefined/null values are left out, arrays nest. */
function renderNodes(nodes: readonly XmlNode[]): string {
  let out = '';
  for (const [name, value] of nodes) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) out += `<${name}>${renderNodes(value)}</${name}>`;
    else out += `<${name}>${escapeXml(String(value))}</${name}>`;
  }
  return out;
}

/** A whole document; the root carries the namespace when one is given. */
export function renderDocument(root: string, xmlns: string | undefined, nodes: readonly XmlNode[]): string {
  const ns = xmlns ? ` xmlns="${xmlns}"` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns}>${renderNodes(nodes)}</${root}>`;
}

/** Writes a parsed element back (used to store and return a whole config, such as a DistributionConfig). */
export function renderElement(element: XmlElement, xmlns?: string): string {
  const ns = xmlns ? ` xmlns="${xmlns}"` : '';
  if (element.children.length === 0) {
    return `<${element.name}${ns}>${escapeXml(element.text)}</${element.name}>`;
  }
  return `<${element.name}${ns}>${element.children.map((c) => renderElement(c)).join('')}</${element.name}>`;
}

export function cloneElement(element: XmlElement): XmlElement {
  return {
    name: element.name,
    attributes: Object.assign(Object.create(null) as Record<string, string>, element.attributes),
    children: element.children.map(cloneElement),
    text: element.text,
  };
}

/** Builds an element tree from nodes (for configs the sandbox creates itself). */
export function toElement(name: string, value: XmlValue): XmlElement {
  if (Array.isArray(value)) {
    return {
      name,
      attributes: {},
      children: value.filter(([, v]) => v !== undefined && v !== null).map(([n, v]) => toElement(n, v)),
      text: '',
    };
  }
  return {
    name,
    attributes: {},
    children: [],
    text: value === undefined || value === null ? '' : String(value),
  };
}

/** An element's children as nodes, to re-render a stored element inside a response. */
export function elementNodes(element: XmlElement): XmlNode[] {
  return element.children.map((c) => [c.name, c.children.length > 0 ? elementNodes(c) : c.text] as XmlNode);
}
