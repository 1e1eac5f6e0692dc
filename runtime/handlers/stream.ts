/** Lambda entry for the table's DynamoDB stream (analytics flattener -> Firehose). */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { chatApp } from './instance.js';

/** Answers Lambda's ReportBatchItemFailures contract: only `batchItemFailures`. */
export const handler = async (event: DynamoDBStreamEvent) => {
  const { batchItemFailures } = await chatApp().stream(event);
  return { batchItemFailures };
};
