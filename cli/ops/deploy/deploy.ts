/**
 * `chatctl diff` and `chatctl deploy`: toolkit-lib with the standard AWS credential chain, one listr2 task per
 * stack in plan order, and a confirmation before IAM changes or deletions unless --yes.
 */
import { createInterface } from 'node:readline/promises';
import { UserError } from '../../../core/errors.js';
import type { Topology } from '../../../core/topology.js';
import { DEV_SECRET_PLACEHOLDER } from '../../../stacks/app.js';
import { CallbackIoHost, chatAssemblySource, createToolkit } from './assembly.js';
import { requireAwsCredentials } from './credentials.js';
import type { PlannedStack } from './plan.js';

/** The environment variable holding the dev-token secret for auth mode "dev" (also read by the probes). */
export const DEV_SECRET_ENV = 'CHATCTL_DEV_TOKEN_SECRET';

/** The part of @aws-cdk/cloudformation-diff's TemplateDiff read here. */
interface TemplateDiffLike {
  readonly differenceCount: number;
  readonly permissionsAnyChanges: boolean;
  readonly resources: {
    forEachDifference(
      cb: (logicalId: string, change: { isRemoval: boolean; oldResourceType?: string }) => void,
    ): void;
  };
}

export interface StackChange {
  readonly stackName: string;
  readonly changes: number;
  readonly iamChanges: boolean;
  /** Logical ids (and types) of resources the deploy would delete. */
  readonly removals: readonly string[];
}

export interface DeployOptions {
  /** Deploy without asking, even when IAM changes or deletions are in the diff. */
  readonly yes?: boolean;
  readonly outDir?: string;
  /** Asks the user; default: a y/N prompt on a terminal, "no" otherwise. */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** Receives progress lines when no terminal renderer is wanted (tests, --json). */
  readonly quiet?: boolean;
}

export interface DeployOutcome {
  readonly applied: boolean;
  readonly detail: string;
  readonly plan: readonly PlannedStack[];
  readonly changes: readonly StackChange[];
  readonly deployed: readonly string[];
}

/** The dev-token secret for a deploy; refuses the placeholder that synth uses. */
export function devTokenSecretFor(
  topology: Topology,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (topology.auth.mode !== 'dev') return undefined;
  const secret = env[DEV_SECRET_ENV];
  if (!secret || secret === DEV_SECRET_PLACEHOLDER || secret.length < 16) {
    throw new UserError(`auth mode "dev" needs a secret of at least 16 characters in ${DEV_SECRET_ENV}`, {
      hint: `export ${DEV_SECRET_ENV}=$(openssl rand -hex 24), or set auth.mode "cognito" in chatctl.json`,
    });
  }
  return secret;
}

function requireAwsTarget(topology: Topology, doing: string): void {
  if (topology.target !== 'aws') {
    throw new UserError(`${doing} acts on AWS, and the target is ${topology.target}`, {
      hint: 'pass --target aws (or set "target": "aws" in chatctl.json); the sandbox needs no deploy',
    });
  }
}

/** Per stack: how many changes, whether IAM changes, and which resources would be deleted. */
export function summarizeDiffs(diffs: Record<string, TemplateDiffLike>): StackChange[] {
  return Object.entries(diffs).map(([stackName, diff]) => {
    const removals: string[] = [];
    diff.resources.forEachDifference((logicalId, change) => {
      if (change.isRemoval)
        removals.push(change.oldResourceType ? `${logicalId} (${change.oldResourceType})` : logicalId);
    });
    return { stackName, changes: diff.differenceCount, iamChanges: diff.permissionsAnyChanges, removals };
  });
}

/** The stacks whose changes need a yes before deploying: IAM changes or deletions. */
export function needsConfirmation(changes: readonly StackChange[]): StackChange[] {
  return changes.filter((c) => c.iamChanges || c.removals.length > 0);
}

async function askOnTerminal(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

async function prepare(
  topology: Topology,
  plan: readonly PlannedStack[],
  doing: string,
  options: DeployOptions,
) {
  requireAwsTarget(topology, doing);
  const devTokenSecret = devTokenSecretFor(topology);
  await requireAwsCredentials(topology, doing);
  let report: (line: string) => void = () => {};
  let preApproved = options.yes === true;
  const toolkit = await createToolkit(
    new CallbackIoHost(
      (message) => {
        if (message.level !== 'trace' && message.level !== 'debug') report(message.message.split('\n')[0]);
      },
      (request) => {
        if (preApproved) return true;
        const data = request.data as {
          permissionChangeType?: string;
          templateDiffs?: Record<string, TemplateDiffLike>;
        };
        const sensitive = summarizeDiffs(data.templateDiffs ?? {}).some(
          (c) => c.iamChanges || c.removals.length > 0,
        );
        return data.permissionChangeType === 'none' && !sensitive;
      },
    ),
  );
  const { source, findings } = await chatAssemblySource(toolkit, topology, {
    bundle: true,
    outDir: options.outDir ?? 'cdk.out',
    devTokenSecret,
  });
  const assembly = await toolkit.synth(source);
  if (findings.length > 0) {
    await assembly.dispose();
    throw new UserError(
      `cdk-nag reports ${findings.length} unacknowledged finding(s); nothing was deployed`,
      {
        hint: 'run: chatctl synth (it lists them), then fix or acknowledge them with a reason in stacks/',
      },
    );
  }
  const { StackSelectionStrategy, ExpandStackSelection } = await import('@aws-cdk/toolkit-lib');
  const select = (names: readonly string[]) => ({
    strategy: StackSelectionStrategy.PATTERN_MUST_MATCH,
    patterns: [...names],
    expand: ExpandStackSelection.NONE,
  });
  const diffs = (await toolkit.diff(assembly, {
    stacks: select(plan.map((p) => p.stackName)),
  })) as unknown as Record<string, TemplateDiffLike>;
  return {
    toolkit,
    assembly,
    select,
    changes: summarizeDiffs(diffs),
    setReporter: (fn: (line: string) => void) => {
      report = fn;
    },
    approveAll: () => {
      preApproved = true;
    },
  };
}

/** `chatctl diff`: what a deploy of the plan would change, per stack. */
export async function diffStacks(
  topology: Topology,
  plan: readonly PlannedStack[],
  options: DeployOptions = {},
): Promise<readonly StackChange[]> {
  const prepared = await prepare(topology, plan, 'diff', options);
  await prepared.assembly.dispose();
  return prepared.changes;
}

export async function deployStacks(
  topology: Topology,
  plan: readonly PlannedStack[],
  options: DeployOptions = {},
): Promise<DeployOutcome> {
  const prepared = await prepare(topology, plan, 'deploy', options);
  const { toolkit, assembly, changes } = prepared;
  try {
    const sensitive = needsConfirmation(changes);
    if (sensitive.length > 0 && !options.yes) {
      const lines = sensitive.map(
        (c) =>
          `  ${c.stackName}:${c.iamChanges ? ' IAM changes' : ''}${c.removals.length > 0 ? ` deletes ${c.removals.join(', ')}` : ''}`,
      );
      const question = `The deploy changes IAM or deletes resources:\n${lines.join('\n')}\nDeploy?`;
      const ok = await (options.confirm ?? askOnTerminal)(question);
      if (!ok) {
        return {
          applied: false,
          detail:
            'not deployed: IAM changes or deletions were not confirmed (run again with --yes to skip the question)',
          plan,
          changes,
          deployed: [],
        };
      }
      prepared.approveAll();
    } else if (options.yes) {
      prepared.approveAll();
    }

    const { Listr } = await import('listr2');
    const deployed: string[] = [];
    const tasks = new Listr(
      plan.map((stack) => ({
        title: `${stack.stackName} (${stack.awsRegion}): ${stack.why}`,
        task: async (_ctx: unknown, task: { output: string; title: string }) => {
          prepared.setReporter((line) => {
            task.output = line;
          });
          await toolkit.deploy(assembly, { stacks: prepared.select([stack.stackName]) });
          deployed.push(stack.stackName);
        },
      })),
      {
        concurrent: false,
        exitOnError: true,
        renderer: options.quiet ? 'silent' : process.stdout.isTTY ? 'default' : 'simple',
        rendererOptions: { collapseSubtasks: false },
      },
    );
    try {
      await tasks.run();
    } catch (error) {
      throw new UserError(
        `deploy stopped at ${plan[deployed.length]?.stackName}: ${(error as Error).message}`,
        {
          hint: `deployed before it: ${deployed.join(', ') || 'none'}; fix the cause and run the same command again (deploys are idempotent)`,
          cause: error,
        },
      );
    }
    return { applied: true, detail: `deployed ${deployed.length} stack(s)`, plan, changes, deployed };
  } finally {
    await assembly.dispose();
  }
}
