import { BatchWriteItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { PREFIX, prefixRange } from '../../core/datamodel.js';
import { dynamoClient, freshTable } from '../runtime/support.js';

describe('datamodel', () => {
  it('prefixRange: a BETWEEN query reads exactly the keys begins_with reads (DynamoDB Local)', async () => {
    const { client } = dynamoClient();
    const table = await freshTable(client, 'range');
    const pk = 'ROOM#range';
    const sortKeys = [
      'CONN', // shorter than the prefix
      'CONN#', // the prefix itself
      'CONN#na#abc=',
      'CONN#seoul#Zz9+/A==',
      'CONN#é', // non-ASCII right after the prefix
      'CONN#\uffff',
      'CONN$', // the next character after '#'
      'CONNX',
      'CMID#u#1',
      'MSG#01J0000000',
      'MSG#zzz',
      'NOTICE',
    ];
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [table]: sortKeys.map((sk) => ({ PutRequest: { Item: { pk: { S: pk }, sk: { S: sk } } } })),
        },
      }),
    );
    for (const prefix of [PREFIX.presence, PREFIX.presenceOf('seoul'), PREFIX.message, PREFIX.clientMsg]) {
      const read = async (condition: string, values: Record<string, string>) => {
        const out = await client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: `pk = :pk AND ${condition}`,
            ExpressionAttributeValues: Object.fromEntries(
              Object.entries({ ':pk': pk, ...values }).map(([k, v]) => [k, { S: v }]),
            ),
          }),
        );
        return (out.Items ?? []).map((item) => item.sk.S);
      };
      const range = prefixRange(prefix);
      const between = await read('sk BETWEEN :lo AND :hi', { ':lo': range.lo, ':hi': range.hi });
      const beginsWith = await read('begins_with(sk, :prefix)', { ':prefix': prefix });
      expect(between, prefix).toEqual(beginsWith);
      expect(between.length, prefix).toBe(sortKeys.filter((sk) => sk.startsWith(prefix)).length);
    }
  });
});
