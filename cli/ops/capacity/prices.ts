/**
 * The price table `chatctl capacity` costs a month with (`capacity --prices` prints it). Each price carries
 * where it was read and when, and how sure it is: `price-list` is a figure of AWS's Price List API (offer
 * files) as captured by the public source named; `pricing-page` a figure from an AWS pricing page as quoted
 * by the source; `stand-in` a price that could not be found for that region, with what stands in for it.
 * USD, on-demand, before tax and free tier. Replace a figure when AWS changes it, with its new date.
 */

export type PriceBasis = 'price-list' | 'pricing-page' | 'stand-in';

export interface Price {
  readonly usd: number;
  /** e.g. "per million messages". */
  readonly per: string;
  readonly basis: PriceBasis;
  /** Where the figure was read (AWS's usage type where there is one). */
  readonly source: string;
  /** When the source captured or published it (YYYY-MM-DD or YYYY-MM). */
  readonly date: string;
}

export interface RegionPrices {
  /** API Gateway WebSocket messages (in and out, 32 KB each), first billion a month. */
  readonly wsMessages: Price;
  /** Messages past the first billion a month. */
  readonly wsMessagesOver1B: Price;
  readonly wsConnectionMinutes: Price;
  readonly lambdaRequests: Price;
  /** Arm64 (the stacks' architecture), first tier. */
  readonly lambdaGbSecond: Price;
  readonly dynamoWriteRequestUnits: Price;
  readonly dynamoReadRequestUnits: Price;
  readonly dynamoReplicatedWriteRequestUnits: Price;
  readonly dynamoWcuHour: Price;
  readonly dynamoRcuHour: Price;
  readonly dynamoReplicatedWcuHour: Price;
  /** Data transfer out of this region to another AWS region. */
  readonly interRegionPerGb: Price;
}

const P = (usd: number, per: string, basis: PriceBasis, source: string, date: string): Price => ({
  usd,
  per,
  basis,
  source,
  date,
});

const PER_M_MSG = 'per million messages';
const PER_M_MIN = 'per million connection minutes';
const PER_M_REQ = 'per million requests';
const PER_GBS = 'per GB-second (arm64)';
const PER_M_WRU = 'per million write request units';
const PER_M_RRU = 'per million read request units';
const PER_M_RWRU = 'per million replicated write request units';
const PER_WCU_H = 'per WCU-hour';
const PER_RCU_H = 'per RCU-hour';
const PER_RWCU_H = 'per replicated WCU-hour';
const PER_GB = 'per GB';

const REPL_EQUALS = 'replicated writes are priced as single-region writes since the Nov 2024 price cut';
const ARM_LIST = 'AWS Price List, <prefix>-Lambda-GB-Second-ARM, as captured in a public cost-model fixture';

export const PRICES: Readonly<Record<string, RegionPrices>> = {
  'ap-northeast-2': {
    wsMessages: P(
      1.14,
      PER_M_MSG,
      'price-list',
      'APN2-ApiGatewayMessage tiers of a public cost model test (1.1 billion messages = $1,234)',
      '2026',
    ),
    wsMessagesOver1B: P(0.94, PER_M_MSG, 'price-list', 'the same APN2-ApiGatewayMessage tiers', '2026'),
    wsConnectionMinutes: P(
      0.315,
      PER_M_MIN,
      'stand-in',
      "not found for Seoul: Tokyo's price (an Asia Pacific upper bound) stands in",
      '2020-01',
    ),
    lambdaRequests: P(0.2, PER_M_REQ, 'price-list', 'APN2-Request, public cost model evidence', '2026'),
    lambdaGbSecond: P(
      0.0000133334,
      PER_GBS,
      'stand-in',
      `${ARM_LIST} for Tokyo (Lambda prices match)`,
      '2026',
    ),
    dynamoWriteRequestUnits: P(
      0.68,
      PER_M_WRU,
      'price-list',
      'APN2-WriteRequestUnits (get_products, regionCode ap-northeast-2), quoted in a public repository',
      '2026-06-12',
    ),
    dynamoReadRequestUnits: P(
      0.1355,
      PER_M_RRU,
      'price-list',
      'APN2-ReadRequestUnits, same capture',
      '2026-06-12',
    ),
    dynamoReplicatedWriteRequestUnits: P(
      0.68,
      PER_M_RWRU,
      'price-list',
      `APN2-ReplWriteRequestUnits in the same repository's fixture; ${REPL_EQUALS}`,
      '2026-06-12',
    ),
    dynamoWcuHour: P(
      0.0007049,
      PER_WCU_H,
      'price-list',
      'APN2-WriteCapacityUnit-Hrs, same capture',
      '2026-06-12',
    ),
    dynamoRcuHour: P(
      0.00014098,
      PER_RCU_H,
      'price-list',
      'APN2-ReadCapacityUnit-Hrs, same capture',
      '2026-06-12',
    ),
    dynamoReplicatedWcuHour: P(
      0.0007049,
      PER_RWCU_H,
      'price-list',
      'APN2-ReplWriteCapacityUnit-Hrs in the same fixture',
      '2026-06-12',
    ),
    interRegionPerGb: P(
      0.08,
      PER_GB,
      'price-list',
      'APN2-APN1-AWS-Out-Bytes ("$0.080 per GB - Asia Pacific (Seoul) data transfer to Asia Pacific (Tokyo)"), a public billing fixture',
      '2026',
    ),
  },
  'ap-northeast-1': {
    wsMessages: P(
      1.26,
      PER_M_MSG,
      'pricing-page',
      'aws.amazon.com/jp/api-gateway/pricing (Tokyo), as quoted by a Classmethod article',
      '2020-01-02',
    ),
    wsMessagesOver1B: P(
      1.26,
      PER_M_MSG,
      'stand-in',
      'not found: the first-billion price stands in (an upper bound)',
      '2020-01-02',
    ),
    wsConnectionMinutes: P(
      0.315,
      PER_M_MIN,
      'pricing-page',
      'aws.amazon.com/jp/api-gateway/pricing (Tokyo), as quoted by a Classmethod article',
      '2020-01-02',
    ),
    lambdaRequests: P(0.2, PER_M_REQ, 'price-list', 'APN1-Request, a public cost model', '2026-09'),
    lambdaGbSecond: P(0.0000133334, PER_GBS, 'price-list', ARM_LIST, '2026'),
    dynamoWriteRequestUnits: P(
      0.715,
      PER_M_WRU,
      'price-list',
      'APN1-WriteRequestUnits, a public cost model',
      '2026-09',
    ),
    dynamoReadRequestUnits: P(
      0.1425,
      PER_M_RRU,
      'price-list',
      'APN1-ReadRequestUnits, a public cost model',
      '2026-09',
    ),
    dynamoReplicatedWriteRequestUnits: P(
      0.715,
      PER_M_RWRU,
      'stand-in',
      `APN1-WriteRequestUnits; ${REPL_EQUALS}`,
      '2026-09',
    ),
    dynamoWcuHour: P(
      0.000742,
      PER_WCU_H,
      'stand-in',
      'not captured here: the Tokyo figure of the DynamoDB pricing page as last known; check it',
      '2025',
    ),
    dynamoRcuHour: P(
      0.0001484,
      PER_RCU_H,
      'stand-in',
      'not captured here: the Tokyo figure of the DynamoDB pricing page as last known; check it',
      '2025',
    ),
    dynamoReplicatedWcuHour: P(
      0.000742,
      PER_RWCU_H,
      'stand-in',
      `the WCU-hour above; ${REPL_EQUALS}`,
      '2025',
    ),
    interRegionPerGb: P(
      0.09,
      PER_GB,
      'price-list',
      'APN1-APN3-AWS-Out-Bytes (AWSDataTransfer offer of 2026-09-16), a public cost model',
      '2026-09-16',
    ),
  },
  'us-west-2': {
    wsMessages: P(
      1.0,
      PER_M_MSG,
      'price-list',
      'USE1-ApiGatewayMessage $1.00/M, a public cost audit (us-west-2 is priced as us-east-1)',
      '2026',
    ),
    wsMessagesOver1B: P(
      0.8,
      PER_M_MSG,
      'stand-in',
      'the US tier past one billion as last known from the API Gateway pricing page; check it',
      '2025',
    ),
    wsConnectionMinutes: P(
      0.25,
      PER_M_MIN,
      'price-list',
      'USE1-ApiGatewayMinute $0.25/M, same audit',
      '2026',
    ),
    lambdaRequests: P(0.2, PER_M_REQ, 'pricing-page', 'AWS Lambda pricing ($0.20 per 1M requests)', '2026'),
    lambdaGbSecond: P(0.0000133334, PER_GBS, 'price-list', ARM_LIST, '2026'),
    dynamoWriteRequestUnits: P(
      0.625,
      PER_M_WRU,
      'price-list',
      'WriteRequestUnits $0.000000625, a public price book (US East; US West (Oregon) matches)',
      '2026',
    ),
    dynamoReadRequestUnits: P(
      0.125,
      PER_M_RRU,
      'price-list',
      'ReadRequestUnits $0.000000125, same book',
      '2026',
    ),
    dynamoReplicatedWriteRequestUnits: P(
      0.625,
      PER_M_RWRU,
      'price-list',
      'ReplWriteRequestUnits $0.000000625, same book',
      '2026',
    ),
    dynamoWcuHour: P(
      0.00065,
      PER_WCU_H,
      'pricing-page',
      'DynamoDB provisioned pricing as quoted by a public blog',
      '2025',
    ),
    dynamoRcuHour: P(
      0.00013,
      PER_RCU_H,
      'pricing-page',
      'DynamoDB provisioned pricing as quoted by a public blog',
      '2025',
    ),
    dynamoReplicatedWcuHour: P(0.00065, PER_RWCU_H, 'stand-in', `the WCU-hour above; ${REPL_EQUALS}`, '2025'),
    interRegionPerGb: P(
      0.02,
      PER_GB,
      'price-list',
      'USW2-USE1-AWS-Out-Bytes $0.02, public billing fixtures (to Asia Pacific assumed the same)',
      '2026',
    ),
  },
};

/** The prices of an AWS region, or undefined when the table has none (the cost is then not estimated). */
export function pricesFor(awsRegion: string): RegionPrices | undefined {
  return PRICES[awsRegion];
}

/** Message charges with the first-billion tier (a month's messages in one region). */
export function websocketMessageCost(prices: RegionPrices, messagesPerMonth: number): number {
  const first = Math.min(messagesPerMonth, 1e9);
  const rest = Math.max(0, messagesPerMonth - 1e9);
  return (first * prices.wsMessages.usd + rest * prices.wsMessagesOver1B.usd) / 1e6;
}
