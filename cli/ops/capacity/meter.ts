/**
 * The runtime's own instrumentation for `capacity --calibrate`: an AWS SDK `requestHandler` wrapped around the
 * one the sandbox gives each region's handlers, so that every request the unmodified runtime makes (after
 * every SDK middleware: serialisation, signing, retries) is counted by service and operation, with its bytes
 * and the DynamoDB capacity units it costs; and the handlers themselves, timed per route. Nothing here knows
 * what a route should cost: it only counts what the code does.
 */
import type { AwsRequestHandler } from '../../../runtime/app.js';

/** One request a region's handlers sent, as the meter classified it. */
export interface MeteredCall {
  readonly region: string;
  /** e.g. `dynamodb:Query`, `lambda:Invoke`, `apigateway:PostToConnection`, `dynamodb:GetItem(load level)`. */
  readonly operation: string;
  readonly requestBytes: number;
  /** DynamoDB write request units (transactional writes count 2 per KB), 0 for other services. */
  readonly writeUnits: number;
  /** DynamoDB read request units (eventually consistent reads 0.5 per 4 KB). */
  readonly readUnits: number;
  /** DynamoDB items written (each is replicated once to every other replica). */
  readonly itemsWritten: number;
  /** Bytes of the items written, as DynamoDB sizes them. */
  readonly itemBytes: number;
  /** Bytes of the items read (GetItem, Query), as DynamoDB sizes them. */
  readonly readBytes: number;
}

export interface MeteredRun {
  readonly region: string;
  readonly route: string;
  readonly ms: number;
}

interface SdkRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

type Attr = Record<string, unknown>;
type Item = Record<string, Attr>;

const INVOKE = /\/2015-03-31\/functions\/[^/]+\/invocations\/?$/;
const CONNECTIONS = /\/@connections\/[^/]+$/;
const LOAD_LEVEL_PK = 'CONFIG';

function utf8(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** DynamoDB's size of one attribute value (its documented item-size rules, to the byte for S, B and sets). */
function valueSize(value: Attr): number {
  if ('S' in value) return utf8(String(value.S));
  if ('N' in value) return Math.ceil(String(value.N).replace(/^-|\.|^0+/g, '').length / 2) + 1;
  if ('B' in value) return Buffer.from(String(value.B), 'base64').length;
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('SS' in value) return (value.SS as string[]).reduce((n, s) => n + utf8(s), 0);
  if ('NS' in value) return (value.NS as string[]).reduce((n, s) => n + valueSize({ N: s }), 0);
  if ('M' in value) return 3 + itemSize(value.M as Item) + Object.keys(value.M as Item).length;
  if ('L' in value) return 3 + (value.L as Attr[]).reduce((n, v) => n + 1 + valueSize(v), 0);
  return 0;
}

export function itemSize(item: Item): number {
  return Object.entries(item).reduce((n, [name, value]) => n + utf8(name) + valueSize(value), 0);
}

const writeUnitsOf = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
const readUnitsOf = (bytes: number, consistent: boolean) =>
  Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString();
  return '';
}

function parse(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Units and items of one DynamoDB call, from its request and its response (what DynamoDB would bill). */
function dynamoUnits(
  op: string,
  request: Record<string, unknown>,
  response: Record<string, unknown>,
): Pick<MeteredCall, 'writeUnits' | 'readUnits' | 'itemsWritten' | 'itemBytes' | 'readBytes'> {
  const none = { writeUnits: 0, readUnits: 0, itemsWritten: 0, itemBytes: 0, readBytes: 0 };
  const consistent = request.ConsistentRead === true;
  switch (op) {
    case 'PutItem': {
      const bytes = itemSize(request.Item as Item);
      return { ...none, writeUnits: writeUnitsOf(bytes), itemsWritten: 1, itemBytes: bytes };
    }
    case 'UpdateItem':
    case 'DeleteItem':
      // The item's size after the change is not in the request; these items are well under 1 KB.
      return { ...none, writeUnits: 1, itemsWritten: 1, itemBytes: itemSize(request.Key as Item) };
    case 'TransactWriteItems': {
      const items = (request.TransactItems as Record<string, { Item?: Item; Key?: Item }>[]) ?? [];
      const sizes = items.map((entry) => {
        const action = Object.values(entry)[0];
        return itemSize((action?.Item ?? action?.Key ?? {}) as Item);
      });
      return {
        ...none,
        writeUnits: sizes.reduce((n, bytes) => n + 2 * writeUnitsOf(bytes), 0),
        itemsWritten: sizes.length,
        itemBytes: sizes.reduce((a, b) => a + b, 0),
      };
    }
    case 'GetItem': {
      const bytes = response.Item ? itemSize(response.Item as Item) : 0;
      return { ...none, readUnits: readUnitsOf(bytes, consistent), readBytes: bytes };
    }
    case 'Query': {
      const bytes = ((response.Items as Item[]) ?? []).reduce((n, item) => n + itemSize(item), 0);
      return { ...none, readUnits: readUnitsOf(bytes, consistent), readBytes: bytes };
    }
    default:
      return none;
  }
}

function classify(request: SdkRequest, body: Record<string, unknown>): string {
  const target = request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'];
  if (target?.startsWith('DynamoDB_')) {
    const op = target.split('.')[1] ?? 'unknown';
    const pk = (body.Key as Item | undefined)?.pk?.S;
    // The load level is cached per handler instance (5 s): counted apart, not as a cost of each message.
    return op === 'GetItem' && pk === LOAD_LEVEL_PK ? 'dynamodb:GetItem(load level)' : `dynamodb:${op}`;
  }
  const path = request.path.split('?')[0];
  if (INVOKE.test(path)) return 'lambda:Invoke';
  if (CONNECTIONS.test(path)) {
    const verb = { POST: 'PostToConnection', GET: 'GetConnection', DELETE: 'DeleteConnection' }[
      request.method
    ];
    return `apigateway:${verb ?? request.method}`;
  }
  return `other:${request.method} ${path}`;
}

/** Counts what a region's handlers send through the transport it wraps, and how long each route runs. */
export class Meter {
  readonly calls: MeteredCall[] = [];
  readonly runs: MeteredRun[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();

  /** The transport for one region's handlers: `inner` does the work, the meter only watches. */
  wrap(region: string, inner: AwsRequestHandler): AwsRequestHandler {
    const handler = inner as unknown as {
      handle(request: SdkRequest, options?: unknown): Promise<{ response: { body?: unknown } }>;
    };
    const wrapped = Object.create(handler) as typeof handler;
    wrapped.handle = async (request, options) => {
      const text = bodyText(request.body);
      const body = parse(text);
      const operation = classify(request, body);
      const answer = await handler.handle(request, options);
      const dynamo = operation.startsWith('dynamodb:')
        ? dynamoUnits(operation.slice(9), body, parse(bodyText(answer.response.body)))
        : { writeUnits: 0, readUnits: 0, itemsWritten: 0, itemBytes: 0, readBytes: 0 };
      this.calls.push({ region, operation, requestBytes: utf8(text), ...dynamo });
      return answer;
    };
    return wrapped as unknown as AwsRequestHandler;
  }

  /** Times `work` as one run of `route` in `region` (what Lambda would bill as the invocation's duration). */
  async time<T>(region: string, route: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const run = work();
    this.inFlight.add(run);
    try {
      return await run;
    } finally {
      this.inFlight.delete(run);
      this.runs.push({ region, route, ms: performance.now() - started });
    }
  }

  /** Resolves once no timed handler is running (an asynchronous relay included). */
  async idle(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0) {
      if (Date.now() > deadline) throw new Error(`handlers still running after ${timeoutMs} ms`);
      await Promise.allSettled([...this.inFlight]);
    }
  }

  /** Forgets the calls counted so far (runs are kept: each scenario reads its own slice of them). */
  reset(): void {
    this.calls.length = 0;
  }
}
