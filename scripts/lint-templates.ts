/**
 * cfn-lint on the synthesized templates of a 4-region topology with every option on (Cognito pool created by the
 * stacks, analytics, the event feed with its Kinesis log, China proxy): zero errors, and zero warnings but those acknowledged, each with its reason,
 * in stacks/cfn-lint-acknowledged.json (an acknowledgment that no longer matches anything fails too, so the file
 * stays true). cfn-lint is a Python tool: when it is not installed this says so plainly and exits 0, unless
 * CHATCTL_REQUIRE_CFN_LINT=1 (then 1). Run: npm run lint:templates
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { cdkJsonContext, findProjectRoot } from '../cli/ops/deploy/assembly.js';
import { defaultTopology, type Topology } from '../core/topology.js';
import { dailyDefinition } from '../stacks/analytics-daily.js';
import { addChatStacks } from '../stacks/app.js';

interface Finding {
  Rule: { Id: string; Description?: string };
  Message: string;
  Filename: string;
  Location: { Path?: (string | number)[]; Start?: { LineNumber: number } };
}

interface Acknowledgment {
  readonly rule: string;
  /** A regular expression over "<template file> <path>" (e.g. "chat-region-.* Resources/Fnsend"). */
  readonly where: string;
  readonly reason: string;
}

const root = findProjectRoot();
const ackFile = join(root, 'stacks', 'cfn-lint-acknowledged.json');

const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
if (version.error || version.status !== 0) {
  const required = process.env.CHATCTL_REQUIRE_CFN_LINT === '1';
  console.log(
    `cfn-lint is not installed on this machine: the CloudFormation template lint is ${required ? 'required (CHATCTL_REQUIRE_CFN_LINT=1) and fails' : 'SKIPPED'}. Install it with: pip install cfn-lint`,
  );
  process.exit(required ? 1 : 0);
}

const base = defaultTopology({ target: 'aws' });
const topology: Topology = {
  ...base,
  account: '123456789012',
  // With a Cognito replica region: the canaries' sign-in at the replica (environment, IAM) is linted too.
  auth: { mode: 'cognito', replicaRegion: 'tokyo' },
  analytics: { enabled: true },
  events: { enabled: true, kinesisShards: 2 },
  // The default China origin: chat.<domain>, served by every region (the proxy stack depends on all of them).
  china: { enabled: true },
  regions: [...base.regions, { key: 'sydney', awsRegion: 'ap-southeast-2', probeSubnet: '1.128.0.0/24' }],
};
const outdir = mkdtempSync(join(tmpdir(), 'chatctl-cfn-lint-'));
try {
  const app = new App({ outdir, context: cdkJsonContext(root) });
  addChatStacks(app, topology, { code: { kind: 'placeholder' } });
  app.synth();
  // The daily workflow's definition reaches the global data stack inside an Fn::Join (it names the bucket), which
  // cfn-lint does not read: it is linted here once more as a plain definition, so its ASL is checked (E3601).
  writeFileSync(
    join(outdir, 'daily-workflow.template.json'),
    JSON.stringify({
      Resources: {
        DailyWorkflow: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            RoleArn: 'arn:aws:iam::123456789012:role/daily',
            Definition: dailyDefinition({ workgroup: 'w', database: 'd', bucket: 'b' }),
          },
        },
      },
    }),
  );
  const templates = readdirSync(outdir)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => join(outdir, f));
  const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...templates], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  const findings = JSON.parse(run.stdout || '[]') as Finding[];
  const acks = JSON.parse(readFileSync(ackFile, 'utf8')) as Acknowledgment[];
  for (const ack of acks) {
    if (!ack.reason || ack.reason.length < 30) throw new Error(`${ackFile}: ${ack.rule} needs a real reason`);
  }
  const used = new Set<Acknowledgment>();
  const describe = (f: Finding) => `${basename(f.Filename)} ${(f.Location.Path ?? []).join('/')}`;
  const open: Finding[] = [];
  for (const finding of findings) {
    const id = finding.Rule.Id;
    const ack = id.startsWith('E')
      ? undefined
      : acks.find((a) => a.rule === id && new RegExp(a.where).test(describe(finding)));
    if (ack) used.add(ack);
    else open.push(finding);
  }
  const stale = acks.filter((a) => !used.has(a));
  console.log(
    `cfn-lint ${version.stdout.trim().replace(/^cfn-lint /, '')} on ${templates.length} templates (4 regions, Cognito, analytics, event feed, China proxy): ${findings.length} finding(s), ${findings.length - open.length} acknowledged in stacks/cfn-lint-acknowledged.json`,
  );
  for (const f of open) {
    console.log(`  ${f.Rule.Id} ${describe(f)} (line ${f.Location.Start?.LineNumber ?? '?'}): ${f.Message}`);
  }
  for (const a of stale) console.log(`  acknowledgment matches nothing any more: ${a.rule} ${a.where}`);
  if (open.length > 0 || stale.length > 0) {
    console.log('template lint FAILED: fix the templates, or acknowledge a warning with its reason');
    process.exitCode = 1;
  } else {
    console.log('template lint ok: 0 errors, 0 unacknowledged warnings');
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
