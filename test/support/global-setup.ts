// Starts one DynamoDB Local for the whole test run; tests read its endpoint with inject('dynamoEndpoint').
import type { TestProject } from 'vitest/node';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../sandbox/dynamodb-local.js';

let engine: DynamoDbLocal | undefined;

export async function setup(project: TestProject): Promise<void> {
  engine = await startDynamoDbLocal();
  project.provide('dynamoEndpoint', engine.endpoint);
}

export async function teardown(): Promise<void> {
  await engine?.stop();
}
