// --verify-signatures checks the signing date as AWS does: a signed request within 15 minutes of the
// server's clock, a presigned URL until its X-Amz-Expires, refused with AWS's codes and messages. Signed by
// the SDK's own signer at a chosen date, sent to a strict edge over HTTP.
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../../sandbox/index.js';
import { Sha256 } from '../../../sandbox/wire/sigv4.js';
import { startTestSandbox, TEST_CREDENTIALS } from '../support.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox({ globalServices: false });
});
afterAll(async () => {
  await sandbox?.stop();
});

const MINUTE = 60_000;

function signer(service: string) {
  return new SignatureV4({
    service,
    region: 'ap-northeast-2',
    credentials: TEST_CREDENTIALS,
    sha256: Sha256,
  });
}

/** DynamoDB ListTables (JSON 1.0) signed at `at`. */
async function listTablesAt(
  at: number,
): Promise<{ status: number; body: { __type?: string; message?: string } }> {
  const url = new URL(sandbox.edge);
  const headers = {
    host: url.host,
    'content-type': 'application/x-amz-json-1.0',
    'x-amz-target': 'DynamoDB_20120810.ListTables',
  };
  const signed = await signer('dynamodb').sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      headers,
      body: '{}',
    },
    { signingDate: new Date(at) },
  );
  const response = await fetch(`${sandbox.edge}/`, {
    method: 'POST',
    headers: signed.headers as Record<string, string>,
    body: '{}',
  });
  return { status: response.status, body: (await response.json()) as { __type?: string; message?: string } };
}

/** STS GetCallerIdentity (query, XML errors) as a presigned GET, signed at `at` for `expiresIn` seconds. */
async function presignedAt(at: number, expiresIn: number): Promise<{ status: number; body: string }> {
  const url = new URL(sandbox.edge);
  const presigned = await signer('sts').presign(
    {
      method: 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: url.host },
    },
    { signingDate: new Date(at), expiresIn },
  );
  const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
  const response = await fetch(`${sandbox.edge}/?${query}`);
  return { status: response.status, body: await response.text() };
}

describe('signing time', () => {
  it('sigv4: a request signed a year ago or 16 minutes off either way is refused with "Signature expired" / "not yet current"; 14 minutes is accepted', async () => {
    const now = Date.now();
    const yearAgo = await listTablesAt(now - 365 * 24 * 60 * MINUTE);
    expect(yearAgo.status).toBe(403);
    expect(yearAgo.body.__type).toBe('InvalidSignatureException');
    expect(yearAgo.body.message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/,
    );
    expect((await listTablesAt(now - 16 * MINUTE)).status).toBe(403);
    const ahead = await listTablesAt(now + 16 * MINUTE);
    expect(ahead.status).toBe(403);
    expect(ahead.body.message).toMatch(/^Signature not yet current: .* \+ 15 min\.\)$/);
    expect((await listTablesAt(now - 14 * MINUTE)).status).toBe(200);
    expect((await listTablesAt(now + 14 * MINUTE)).status).toBe(200);
  });

  it('sigv4: a presigned URL answers until its X-Amz-Expires and is RequestExpired after, in the XML shape', async () => {
    const now = Date.now();
    const fresh = await presignedAt(now - 60 * MINUTE, 2 * 3600);
    expect(fresh.status, fresh.body).toBe(200);
    const expired = await presignedAt(now - 60 * MINUTE, 300);
    expect(expired.status).toBe(403);
    expect(expired.body).toContain('<Code>RequestExpired</Code>');
    expect(expired.body).toMatch(/<Message>Request has expired/);
  });
});
