/**
 * AWS REST-XML (Route 53, CloudFront): request documents, results and errors (ErrorResponse in the
 * service's namespace), and the field readers both services share.
 */
import { randomUUID } from 'node:crypto';
import type { EdgeResponse } from '../contracts.js';
import { xmlError } from './query.js';
import { asServiceError, ServiceError } from './service-error.js';
import { parseXml, renderDocument, type XmlElement, XmlError, type XmlNode } from './xml.js';

export function xmlResponse(
  status: number,
  root: string,
  xmlns: string,
  nodes: readonly XmlNode[],
  headers: Record<string, string> = {},
): EdgeResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID(), ...headers },
    body: renderDocument(root, xmlns, nodes),
  };
}

/** Runs a service's router: a ServiceError is answered in AWS's shape, anything else as InternalFailure. */
export async function answer(
  xmlns: string,
  route: () => EdgeResponse | Promise<EdgeResponse>,
): Promise<EdgeResponse> {
  try {
    return await route();
  } catch (error) {
    return xmlError(asServiceError(error), { xmlns });
  }
}

export const bool = (value: boolean) => (value ? 'true' : 'false');

/** Parses "true"/"false" (as AWS does, case-insensitively); anything else is InvalidInput-worthy. */
export function parseBool(
  value: string | undefined,
  field: string,
  errorCode = 'InvalidInput',
): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ServiceError(400, errorCode, `Invalid value for ${field}: "${value}" is not a boolean`);
}

export function parseIntField(
  value: string | undefined,
  field: string,
  range: [number, number],
  errorCode = 'InvalidInput',
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  if (!Number.isInteger(n) || n < range[0] || n > range[1]) {
    throw new ServiceError(
      400,
      errorCode,
      `Invalid value for ${field}: "${value}"; it must be an integer from ${range[0]} to ${range[1]}`,
    );
  }
  return n;
}

/** A percent-encoded path segment; a malformed encoding is the caller's error (400), not the sandbox's. */
export function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ServiceError(400, 'InvalidInput', `The path segment "${part}" is not valid percent-encoding.`);
  }
}

/** How a service words a body that is not its XML document (Route 53 and CloudFront word it differently). */
export interface DocumentErrors {
  readonly code: string;
  malformed(problem: string): string;
  wrongRoot(found: string): string;
}

/** Parses a request body that must be one XML document with this root; anything else is the caller's 400. */
export function parseRequestDocument(body: Buffer, root: string, errors: DocumentErrors): XmlElement {
  let element: XmlElement;
  try {
    element = parseXml(body.toString('utf8'));
  } catch (error) {
    if (error instanceof XmlError) throw new ServiceError(400, errors.code, errors.malformed(error.message));
    throw error;
  }
  if (element.name !== root) throw new ServiceError(400, errors.code, errors.wrongRoot(element.name));
  return element;
}
