/** STS on the edge: GetCallerIdentity answers for the sandbox's fixed account (query or JSON protocol). */
import type { WireDialect } from '../../wire/dialect.js';
import { type Operations, serveRpc } from '../../wire/rpc.js';
import type { ServiceFactory } from '../definition.js';

const DIALECT: WireDialect = { jsonVersion: '1.1', xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/' };

const OPERATIONS: Operations<{ readonly account: string }> = {
  GetCallerIdentity: ({ account }) => ({
    UserId: 'AIDACHATCTLSANDBOX0000',
    Account: account,
    Arn: `arn:aws:iam::${account}:user/chatctl-sandbox`,
  }),
};

export const createService: ServiceFactory = (context) => ({
  name: 'sts',
  handle: (request) => serveRpc(request, DIALECT, OPERATIONS, { account: context.account }),
});
