import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The DynamoDB Local endpoint started once for the whole run by global-setup.ts. */
    dynamoEndpoint: string;
  }
}
