/**
 * Cognito's signing keys held in the region: the JWKS $connect verifies with is kept in the chat table
 * (CONFIG / JWKS#<jwks URI>), which the Global Table copies into every region. A cold function reads its own
 * region's copy first and calls Cognito only for a key id that copy lacks (a new pool, or a key Cognito added),
 * then stores what Cognito served for every region. So while the pool's home region is impaired, tokens signed
 * with a known key verify everywhere with no call leaving the region (docs/deploying.md, Cognito in every region).
 */
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Fetcher } from 'aws-jwt-verify/https';
import type { Jwks, JwksCache, JwkWithKid } from 'aws-jwt-verify/jwk';
import { ATTR, keys } from '../../core/datamodel.js';

export interface JwksStore {
  get(jwksUri: string): Promise<Jwks | undefined>;
  put(jwksUri: string, jwks: Jwks): Promise<void>;
}

/** The chat table's copy in this region. */
export function tableJwksStore(dynamodb: DynamoDBClient, tableName: string): JwksStore {
  const key = (uri: string) => ({ [ATTR.pk]: { S: keys.configPk }, [ATTR.sk]: { S: keys.jwksSk(uri) } });
  return {
    async get(uri) {
      const answer = await dynamodb.send(new GetItemCommand({ TableName: tableName, Key: key(uri) }));
      const text = answer.Item?.jwks?.S;
      return text ? (JSON.parse(text) as Jwks) : undefined;
    },
    async put(uri, jwks) {
      await dynamodb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: { ...key(uri), jwks: { S: JSON.stringify(jwks) }, storedAt: { N: String(Date.now()) } },
        }),
      );
    },
  };
}

type DecomposedJwt = Parameters<JwksCache['getJwk']>[1];

/**
 * aws-jwt-verify's JWKS cache with the region's stored copy in front of Cognito: a key id not in memory is
 * looked up in the store (once per URI and container), then fetched from Cognito (`fetcher`), whose answer is
 * stored. A store that cannot be read or written costs only that layer: Cognito still answers.
 */
export async function regionalJwksCache(store: JwksStore, fetcher?: Fetcher): Promise<JwksCache> {
  const { SimpleJwksCache } = await import('aws-jwt-verify/jwk');
  const { SimpleFetcher } = await import('aws-jwt-verify/https');
  const network = fetcher ?? new SimpleFetcher();
  const storing: Fetcher = {
    async fetch(uri, requestOptions, data) {
      const body = await network.fetch(uri, requestOptions, data);
      try {
        await store.put(uri, JSON.parse(new TextDecoder().decode(body)) as Jwks);
      } catch (error) {
        console.warn(`could not store the JWKS of ${uri} in the table: ${String(error)}`);
      }
      return body;
    },
  };
  const inner = new SimpleJwksCache({ fetcher: storing });
  const tried = new Set<string>();
  const cached = (uri: string, jwt: DecomposedJwt): JwkWithKid | undefined => {
    try {
      return inner.getCachedJwk(uri, jwt);
    } catch {
      return undefined;
    }
  };
  return {
    async getJwk(uri, jwt) {
      const known = cached(uri, jwt);
      if (known) return known;
      if (!tried.has(uri)) {
        tried.add(uri);
        const stored = await store.get(uri).catch((error: unknown) => {
          console.warn(`could not read the stored JWKS of ${uri}: ${String(error)}`);
          return undefined;
        });
        if (stored) {
          inner.addJwks(uri, stored);
          const found = cached(uri, jwt);
          if (found) return found;
        }
      }
      return inner.getJwk(uri, jwt);
    },
    getCachedJwk: (uri, jwt) => inner.getCachedJwk(uri, jwt),
    addJwks: (uri, jwks) => inner.addJwks(uri, jwks),
    getJwks: (uri) => inner.getJwks(uri),
  };
}
