/** STS on the edge: GetCallerIdentity answers for the sandbox's fixed account (JSON or query protocol). */
import { randomUUID } from 'node:crypto';
import type { EdgeRequest, EdgeResponse } from '../../contracts.js';
import { awsError } from '../../wire/aws-wire.js';
import { escapeXml } from '../../wire/xml.js';
import type { ServiceFactory } from '../service.js';

export const createService: ServiceFactory = (context) => ({
  name: 'sts',
  handle: (request) => getCallerIdentity(request, context.account),
});

async function getCallerIdentity(request: EdgeRequest, account: string): Promise<EdgeResponse> {
  const target = String(request.headers['x-amz-target'] ?? '');
  const params = new URLSearchParams(request.body.toString('utf8'));
  const action = target ? target.split('.').pop() : (params.get('Action') ?? request.query.get('Action'));
  const requestId = randomUUID();
  const identity = {
    UserId: 'AIDACHATCTLSANDBOX0000',
    Account: account,
    Arn: `arn:aws:iam::${account}:user/chatctl-sandbox`,
  };
  if (action !== 'GetCallerIdentity') {
    return awsError(
      target ? 'json' : 'query',
      400,
      target ? 'UnknownOperationException' : 'InvalidAction',
      `the chatctl sandbox's STS serves GetCallerIdentity only (got ${action ?? 'no Action'})`,
    );
  }
  if (target) {
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
      body: JSON.stringify(identity),
    };
  }
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>${escapeXml(identity.Arn)}</Arn>
    <UserId>${identity.UserId}</UserId>
    <Account>${identity.Account}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>`,
  };
}
