/** Request and response helpers shared by the sandbox's REST-XML services (Route 53, CloudFront). */
import { randomUUID } from 'node:crypto';
import type { EdgeResponse } from '../contracts.js';
import { xmlErrorResponse } from './aws-wire.js';
import { parseXml, renderDocument, type XmlElement, XmlError, type XmlNode } from './xml.js';

/** An error the service answers with AWS's ErrorResponse shape. */
export class AwsXmlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
    this.name = code;
  }
}

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

function errorResponse(error: AwsXmlError, xmlns: string): EdgeResponse {
  return xmlErrorResponse(error.status, error.code, error.message, { type: error.type, xmlns });
}

/** Runs a service's router, turning AwsXmlError (and bugs) into AWS-shaped error responses. */
export async function answer(
  xmlns: string,
  route: () => EdgeResponse | Promise<EdgeResponse>,
): Promise<EdgeResponse> {
  try {
    return await route();
  } catch (error) {
    if (error instanceof AwsXmlError) return errorResponse(error, xmlns);
    return errorResponse(
      new AwsXmlError(500, 'InternalFailure', `the sandbox failed: ${(error as Error).message}`, 'Receiver'),
      xmlns,
    );
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
  throw new AwsXmlError(400, errorCode, `Invalid value for ${field}: "${value}" is not a boolean`);
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
    throw new AwsXmlError(
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
    throw new AwsXmlError(400, 'InvalidInput', `The path segment "${part}" is not valid percent-encoding.`);
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
    if (error instanceof XmlError) throw new AwsXmlError(400, errors.code, errors.malformed(error.message));
    throw error;
  }
  if (element.name !== root) throw new AwsXmlError(400, errors.code, errors.wrongRoot(element.name));
  return element;
}
