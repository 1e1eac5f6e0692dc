/**
 * Names of the environment variables the runtime handlers read their configuration from.
 * The stacks set them on every function; the sandbox passes the same values in-process.
 */
export const RUNTIME_ENV = {
  tableName: 'CHAT_TABLE',
  regionKey: 'CHAT_REGION_KEY',
  /** JSON: { [regionKey]: { awsRegion, functionName } } for every other region's relay. */
  relayTargets: 'CHAT_RELAY_TARGETS',
  /** Override of the @connections endpoint (the sandbox's gateway); on AWS it is built from the event. */
  managementEndpoint: 'CHAT_MANAGEMENT_ENDPOINT',
  /** Override of every AWS endpoint (the sandbox's edge). */
  awsEndpoint: 'CHAT_AWS_ENDPOINT',
  authMode: 'CHAT_AUTH_MODE',
  /** Auth mode "dev" on AWS: the Secrets Manager secret (name or ARN) holding the token secret; never the value. */
  devTokenSecretId: 'CHAT_DEV_TOKEN_SECRET_ID',
  /** Auth mode "dev" off AWS (tests, benchmarks): the secret itself. The stacks never set it. */
  devTokenSecret: 'CHAT_DEV_TOKEN_SECRET',
  userPoolId: 'CHAT_USER_POOL_ID',
  userPoolClientId: 'CHAT_USER_POOL_CLIENT_ID',
  /** Auth mode "cognito": the canary's app client; $connect accepts its tokens as the region's canary user. */
  canaryClientId: 'CHAT_CANARY_CLIENT_ID',
  /** Auth mode "cognito": the AWS region of the pool's secondary replica (multi-Region replication), if any. */
  userPoolReplicaRegion: 'CHAT_USER_POOL_REPLICA_REGION',
  /** Auth mode "cognito", the canary only: the probe user's username and its password's secret (name, never the value). */
  canaryUsername: 'CHAT_CANARY_USERNAME',
  canaryPasswordSecretId: 'CHAT_CANARY_PASSWORD_SECRET_ID',
  /**
   * "true" only where the topology's compatibility switch auth.tokenInQuery is on: $connect then also takes the
   * token as ?token= (URLs are logged). Unset: the token is read from Sec-WebSocket-Protocol alone.
   */
  tokenInQuery: 'CHAT_TOKEN_IN_QUERY',
  firehoseStream: 'CHAT_FIREHOSE_STREAM',
  /** Namespace of the custom metrics the handlers write in embedded metric format (core/observability.ts). */
  metricsNamespace: 'CHAT_METRICS_NAMESPACE',
  /** The canary: the region's WebSocket URL it probes (wss://.../prod). */
  canaryUrl: 'CHAT_CANARY_URL',
  /**
   * The canary: the region's chat through the global name, as users reach it: the URL (wss://chat.<domain>/prod)
   * and the host it connects to instead of asking DNS (this region's chat.<domain> custom domain target).
   */
  canaryGlobalUrl: 'CHAT_CANARY_GLOBAL_URL',
  canaryGlobalAddress: 'CHAT_CANARY_GLOBAL_ADDRESS',
  /** The canary: JSON { [regionKey]: { url, awsRegion } } of the other regions it judges (core/routing-health.ts). */
  canaryJudged: 'CHAT_CANARY_JUDGED',
  /** The surge controller: JSON { [route]: { functionName, reserved } } for every lane it measures. */
  surgeLanes: 'CHAT_SURGE_LANES',
} as const;

/** The development-token secret the sandbox uses; never used on AWS, where auth mode is cognito or a real secret. */
export const SANDBOX_DEV_TOKEN_SECRET = 'chatctl-sandbox-dev-secret';
