/**
 * What a service's wire says beyond its protocol: the names AWS gives it on the wire. One codec per
 * protocol (json.ts, cbor.ts, query.ts, rest-json.ts, rest-xml.ts) reads and writes every service with it.
 */

/** An operation's input or output in the JSON shape (the query protocol's is built into it). */
export type WireInput = Record<string, unknown>;

export interface WireDialect {
  /** JSON 1.0/1.1: X-Amz-Target's prefix before the operation (DynamoDB_20120810, AmazonSSM...). */
  readonly target?: string;
  /** JSON: 1.0 or 1.1 (the content type's version). */
  readonly jsonVersion?: '1.0' | '1.1';
  /** Query and REST-XML: the namespace of the service's documents and ErrorResponse. */
  readonly xmlns?: string;
  /** JSON and CBOR: the namespace of an error's __type (com.amazonaws.cloudwatch, say). */
  readonly errorNamespace?: string;
  /**
   * awsQueryCompatible services (CloudWatch): JSON and CBOR errors carry the query code in
   * x-amzn-query-error and name the error by its shape (this table; a code not in it is its own shape).
   */
  readonly queryShapes?: Readonly<Record<string, string>>;
}

/** A decoded RPC request (JSON, CBOR or query): the operation and its input. */
export interface RpcCall {
  readonly operation: string;
  readonly input: WireInput;
}
