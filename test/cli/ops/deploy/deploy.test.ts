// What needs a yes before a deploy, computed on real CloudFormation template diffs (the CDK's own diff engine).
import { fullDiff } from '@aws-cdk/cloudformation-diff';
import { describe, expect, it } from 'vitest';
import { needsConfirmation, summarizeDiffs } from '../../../../cli/ops/deploy/deploy.js';

const role = {
  Type: 'AWS::IAM::Role',
  Properties: {
    AssumeRolePolicyDocument: {
      Statement: [
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ],
    },
  },
};
const policy = (actions: string[]) => ({
  Type: 'AWS::IAM::Policy',
  Properties: {
    PolicyName: 'p',
    Roles: [{ Ref: 'Role' }],
    PolicyDocument: {
      Statement: [{ Action: actions, Effect: 'Allow', Resource: 'arn:aws:dynamodb:x:1:table/t' }],
    },
  },
});
const logs = { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } };
const before = { Resources: { Role: role, Policy: policy(['dynamodb:GetItem']), Logs: logs } };

describe('deploy confirmation', () => {
  it('deploy confirmation: a change of retention only needs no yes', () => {
    const after = {
      Resources: { ...before.Resources, Logs: { ...logs, Properties: { RetentionInDays: 7 } } },
    };
    const changes = summarizeDiffs({ s: fullDiff(before, after) });
    expect(changes).toEqual([{ stackName: 's', changes: 1, iamChanges: false, removals: [] }]);
    expect(needsConfirmation(changes)).toEqual([]);
  });

  it('deploy confirmation: a broadened IAM policy needs a yes', () => {
    const after = {
      Resources: { ...before.Resources, Policy: policy(['dynamodb:GetItem', 'dynamodb:PutItem']) },
    };
    const changes = summarizeDiffs({ s: fullDiff(before, after) });
    expect(changes[0].iamChanges).toBe(true);
    expect(needsConfirmation(changes).map((c) => c.stackName)).toEqual(['s']);
  });

  it('deploy confirmation: a deleted resource needs a yes and is named with its type', () => {
    const after = { Resources: { Role: role, Policy: policy(['dynamodb:GetItem']) } };
    const changes = summarizeDiffs({ s: fullDiff(before, after), other: fullDiff(before, before) });
    expect(changes.find((c) => c.stackName === 's')!.removals).toEqual(['Logs (AWS::Logs::LogGroup)']);
    expect(needsConfirmation(changes).map((c) => c.stackName)).toEqual(['s']);
  });
});
