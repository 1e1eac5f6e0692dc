// The sandbox watches its DynamoDB Local (sandbox/engine-watch.ts): killed under a --persist sandbox, it is
// restarted on the same port from its data; killed under an in-memory one, the sandbox asks to stop and says
// why. `sandbox status`, `doctor` and `health` name the engine. Each test starts a sandbox with an engine of
// its own (not the shared one) and kills that JVM with kill -9.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { engineCheck as healthEngineCheck } from '../../cli/ops/checks/engine.js';
import { engineCheck as doctorEngineCheck } from '../../cli/ops/doctor/machine.js';
import { sandboxStatus } from '../../cli/ops/sandbox/status.js';
import { defaultTopology } from '../../core/topology.js';
import { type Sandbox, start } from '../../sandbox/index.js';
import { readSandboxState, sandboxStatePath } from '../../sandbox/state.js';
import { eventually } from '../support/eventually.js';
import { alive } from './cli-run.js';
import { clientConfig } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'chatctl-engine-watch-'));
let sandbox: Sandbox | undefined;

afterAll(async () => {
  await sandbox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function ownEngineSandbox(options: { persist: boolean; onStopRequest?: () => void }): Promise<Sandbox> {
  return start(defaultTopology(), {
    port: 0,
    globalServices: false,
    surge: false,
    lag: 30,
    persist: options.persist,
    dataDir: join(dir, 'data'),
    // The file's own state folder (CHATCTL_HOME): status, doctor and health read it as the CLI does.
    statePath: sandboxStatePath(),
    onStopRequest: options.onStopRequest,
  });
}

describe('engine watch', { timeout: 180_000 }, () => {
  it('engine watch: with --persist, a killed DynamoDB Local is restarted on its port from its data; status, doctor and health name it', async () => {
    sandbox = await ownEngineSandbox({ persist: true });
    const db = new DynamoDBClient(clientConfig(sandbox, 'ap-northeast-1'));
    await db.send(
      new CreateTableCommand({
        TableName: 'watch-probe',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await db.send(new PutItemCommand({ TableName: 'watch-probe', Item: { pk: { S: 'kept' } } }));
    const before = sandbox.state.dynamodb;
    process.kill(before.pid, 'SIGKILL');

    await eventually(async () => {
      const state = await readSandboxState();
      return state?.dynamodb.restarts === 1 && state.dynamodb.state === 'running';
    }, 90_000);
    const after = (await readSandboxState())!.dynamodb;
    expect(after.pid).not.toBe(before.pid);
    expect(alive(after.pid)).toBe(true);
    expect(after.endpoint).toBe(before.endpoint);
    expect(after.lastDeath?.reason).toBe(`DynamoDB Local (pid ${before.pid}) was killed by SIGKILL`);
    const item = await db.send(new GetItemCommand({ TableName: 'watch-probe', Key: { pk: { S: 'kept' } } }));
    expect(item.Item?.pk.S).toBe('kept');
    // Replication reads the restarted engine's streams: a write in tokyo reaches seoul.
    const table = await db.send(new DescribeTableCommand({ TableName: sandbox.tableName }));
    const key = Object.fromEntries(
      (table.Table?.KeySchema ?? []).map((k) => [
        k.AttributeName!,
        { S: `after-restart-${k.AttributeName}` },
      ]),
    );
    await db.send(new PutItemCommand({ TableName: sandbox.tableName, Item: key }));
    const seoul = new DynamoDBClient(clientConfig(sandbox, 'ap-northeast-2'));
    await eventually(async () => {
      const got = await seoul.send(
        new GetItemCommand({ TableName: sandbox!.tableName, Key: key, ConsistentRead: true }),
      );
      return got.Item !== undefined;
    }, 60_000);
    seoul.destroy();
    db.destroy();

    const status = await sandboxStatus();
    expect(status).toMatchObject({ running: true, engineAnswers: true });
    expect(status.state?.dynamodb).toMatchObject({ pid: after.pid, restarts: 1 });
    const doctor = await doctorEngineCheck(status.state);
    expect(doctor).toMatchObject({ status: 'ok' });
    expect(doctor.detail).toContain(`restarted 1 time(s)`);
    const health = await healthEngineCheck(status.state!, 2000);
    expect(health.status).toBe('ok');
    expect(health.detail).toContain(`was killed by SIGKILL`);
    await sandbox.stop();
    sandbox = undefined;
  });

  it('engine watch: in memory, a killed DynamoDB Local stops the sandbox with why; meanwhile status, doctor and health say it is dead', async () => {
    let stopAsked = 0;
    sandbox = await ownEngineSandbox({ persist: false, onStopRequest: () => stopAsked++ });
    const pid = sandbox.state.dynamodb.pid;
    process.kill(pid, 'SIGKILL');
    await eventually(() => stopAsked === 1, 30_000);
    expect(sandbox.failure).toMatch(
      new RegExp(
        `^DynamoDB Local \\(pid ${pid}\\) was killed by SIGKILL: the sandbox's data was in its memory and is gone, so the sandbox stops`,
      ),
    );
    // Not yet stopped (the CLI stops it on the request): every view names the dead engine.
    const status = await sandboxStatus();
    expect(status).toMatchObject({ running: true, engineAnswers: false });
    const doctor = await doctorEngineCheck(status.state);
    expect(doctor.status).toBe('fail');
    expect(doctor.detail).toContain(`DynamoDB Local (pid ${pid}) does not answer`);
    const health = await healthEngineCheck(status.state!, 2000);
    expect(health).toMatchObject({ status: 'fail' });
    expect(health.detail).toContain(`DynamoDB Local (pid ${pid}) does not answer`);

    await sandbox.stop();
    sandbox = undefined;
    // sandbox.json stays, saying why, for status and every command after the process is gone.
    const kept = await readSandboxState();
    expect(kept?.stopped?.reason).toMatch(/was killed by SIGKILL: the sandbox's data was in its memory/);
  });
});
