/**
 * A minimal DynamoDB JSON client straight to DynamoDB Local, for the sandbox's own hot paths (replication
 * polls every stream many times a second and applies every change): the SDK's middleware stack costs far
 * more CPU than the engine call on a 2-core machine. DynamoDB Local reads the access key and region from the
 * Authorization header and does not check the signature.
 */
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

export class EngineError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(`${code}: ${message}`);
    this.name = code;
  }
}

export class EngineClient {
  private readonly url: URL;
  private readonly authorization: string;

  constructor(endpoint: string, accessKeyId: string, region: string) {
    this.url = new URL(endpoint);
    this.authorization = `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20200101/${region}/dynamodb/aws4_request, SignedHeaders=host, Signature=0`;
  }

  async call<T = Record<string, unknown>>(target: string, input: unknown, attempts = 3): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(target, input);
      } catch (error) {
        const retryable =
          !(error instanceof EngineError) || error.status >= 500 || /Throttl/.test(error.code);
        if (!retryable || attempt >= attempts) throw error;
        await new Promise((r) => setTimeout(r, 20 * attempt));
      }
    }
  }

  private once<T>(target: string, input: unknown): Promise<T> {
    const body = JSON.stringify(input);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method: 'POST',
          path: '/',
          agent,
          headers: {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': target,
            authorization: this.authorization,
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown> = {};
            try {
              parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
            } catch {
              // not JSON: reported below
            }
            if (res.statusCode === 200) {
              resolve(parsed as T);
              return;
            }
            const type =
              String(parsed.__type ?? 'UnknownError')
                .split('#')
                .pop() ?? 'UnknownError';
            const message = String(parsed.message ?? parsed.Message ?? text.slice(0, 200));
            reject(new EngineError(type, message, res.statusCode ?? 500));
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('DynamoDB Local did not answer within 30 s')));
      req.on('error', reject);
      req.end(body);
    });
  }
}
