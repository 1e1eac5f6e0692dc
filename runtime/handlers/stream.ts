/** Lambda entry for the table's DynamoDB stream (analytics flattener -> Firehose). */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { chatApp } from './instance.js';

export const handler = (event: DynamoDBStreamEvent) => chatApp().stream(event);
