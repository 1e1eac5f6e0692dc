/**
 * The cost of `sandbox up --verify-signatures`, per request: the edge's signature check of the same signed
 * DynamoDB requests with verification off (form only) and on (recomputed with the key's secret by the SDK's
 * own signer), interleaved in rounds so both see the same machine load; reported as CPU per request and as
 * the difference. Part of `npm run bench -- sandbox`.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { checkSignature, Sha256, signaturePolicy } from '../sandbox/wire/sigv4.js';
import { median, row } from './support.js';

async function signedRequests(count: number) {
  const signer = new SignatureV4({
    service: 'dynamodb',
    region: 'ap-northeast-2',
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
    sha256: Sha256,
  });
  const requests = [];
  for (let i = 0; i < count; i++) {
    const body = JSON.stringify({ TableName: 'chat', Key: { pk: { S: `ROOM#${i}` }, sk: { S: 'META' } } });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 4566,
      path: '/',
      headers: {
        host: '127.0.0.1:4566',
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.GetItem',
      },
      body,
    });
    requests.push({ method: 'POST', url: '/', headers: signed.headers, body: Buffer.from(body) });
  }
  return requests;
}

export async function signatureCost(rounds = 7, perRound = 2000): Promise<void> {
  const requests = await signedRequests(perRound);
  const modes = { off: signaturePolicy(false), on: signaturePolicy(true) };
  const perRequestUs: Record<'off' | 'on', number[]> = { off: [], on: [] };
  for (let round = 0; round < rounds; round++) {
    for (const mode of ['off', 'on'] as const) {
      const started = process.cpuUsage();
      for (const request of requests) {
        const check = await checkSignature(request, modes[mode]);
        if (!check.ok) throw new Error(`the bench's own request failed its check: ${check.fault.code}`);
      }
      const used = process.cpuUsage(started);
      perRequestUs[mode].push((used.user + used.system) / perRound);
    }
  }
  const off = median(perRequestUs.off);
  const on = median(perRequestUs.on);
  row(
    'signature check per request (CPU, median of rounds)',
    `--verify-signatures off ${off.toFixed(1)} µs, on ${on.toFixed(1)} µs: verifying costs ${(on - off).toFixed(1)} µs per request (${(on / off).toFixed(1)}x the form check)`,
  );
}
