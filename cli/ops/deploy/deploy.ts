/**
 * `chatctl diff` and `chatctl deploy`: toolkit-lib with the standard AWS credential chain. A deploy first plans
 * (cli/ops/deploy/prepare.ts: dependency order, replica changes, preflight checks) and refuses when a check
 * fails; then it applies the replica changes one table update at a time, and deploys the stacks in plan order
 * (one listr2 task each), asking before IAM changes or deletions unless --yes.
 */

import { UserError } from '../../../core/errors.js';
import { names } from '../../../core/names.js';
import type { Topology } from '../../../core/topology.js';
import { confirm } from '../../prompt.js';
import { cloudformationClient } from '../aws/clients.js';
import { explainAwsError } from '../aws/errors.js';
import { awsTarget, openTarget } from '../target.js';
import { CallbackIoHost, chatAssemblySource, createToolkit } from './assembly.js';
import { requireAwsCredentials } from './credentials.js';
import { assemblyStacks, type CloudAssemblyLike, planFromAssembly } from './plan.js';
import { requirePreflight } from './preflight.js';
import { type DeployPlan, type DeployStep, prepareDeploy } from './prepare.js';

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
  /** Only what this region needs: its stack and the stacks it depends on. */
  readonly region?: string;
  /** Plan and run the preflight checks only (against AWS, or the running sandbox as target). */
  readonly dryRun?: boolean;
  /** Deploy without asking, even when IAM changes or deletions are in the diff. */
  readonly yes?: boolean;
  readonly outDir?: string;
  /** Asks the user; default: a y/N prompt on a terminal, "no" otherwise. */
  readonly confirm?: (question: string) => Promise<boolean>;
  /** No terminal renderer (tests, --json). */
  readonly quiet?: boolean;
}

export interface DeployOutcome {
  readonly applied: boolean;
  readonly dryRun: boolean;
  readonly detail: string;
  readonly plan: DeployPlan;
  readonly changes: readonly StackChange[];
  readonly deployed: readonly string[];
}

function requireAwsTarget(topology: Topology, doing: string): void {
  if (topology.target !== 'aws') {
    throw new UserError(`${doing} acts on AWS, and the target is ${topology.target}`, {
      hint: 'pass --target aws (or set "target": "aws" in chatctl.json); the sandbox needs no deploy (chatctl deploy --dry-run --target sandbox shows the plan)',
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

/** The y/N question of cli/prompt.ts (Ctrl-C exits 130), asked only on a terminal: "no" otherwise. */
async function askOnTerminal(question: string): Promise<boolean> {
  return process.stdin.isTTY ? confirm(question) : false;
}

async function selection(stackNames: readonly string[]) {
  const { StackSelectionStrategy, ExpandStackSelection } = await import('@aws-cdk/toolkit-lib');
  return {
    strategy: StackSelectionStrategy.PATTERN_MUST_MATCH,
    patterns: [...stackNames],
    expand: ExpandStackSelection.NONE,
  };
}

/** An IoHost that reports progress lines to whoever listens, and approves what `approve()` says. */
function progressIoHost(state: { report: (line: string) => void; preApproved: boolean }) {
  return new CallbackIoHost(
    (message) => {
      if (message.level !== 'trace' && message.level !== 'debug')
        state.report(message.message.split('\n')[0]);
    },
    (request) => {
      if (state.preApproved) return true;
      const data = request.data as {
        permissionChangeType?: string;
        templateDiffs?: Record<string, TemplateDiffLike>;
      };
      return (
        data.permissionChangeType === 'none' &&
        needsConfirmation(summarizeDiffs(data.templateDiffs ?? {})).length === 0
      );
    },
  );
}

/** `chatctl diff`: what a deploy of the plan's stacks would change, per stack. */
export async function diffStacks(
  topology: Topology,
  options: Pick<DeployOptions, 'region' | 'outDir'> = {},
): Promise<readonly StackChange[]> {
  requireAwsTarget(topology, 'diff');
  await requireAwsCredentials(topology, 'diff');
  const toolkit = await createToolkit(new CallbackIoHost());
  const { source } = await chatAssemblySource(toolkit, topology, {
    bundle: true,
    outDir: options.outDir ?? 'cdk.out',
  });
  const assembly = await toolkit.synth(source);
  try {
    const stacks = planFromAssembly(
      topology,
      assemblyStacks(assembly.cloudAssembly as unknown as CloudAssemblyLike),
      {
        region: options.region,
      },
    );
    const diffs = (await toolkit.diff(assembly, {
      stacks: await selection(stacks.map((s) => s.stackName)),
    })) as unknown as Record<string, TemplateDiffLike>;
    return summarizeDiffs(diffs);
  } finally {
    await assembly.dispose();
  }
}

/** Deletes the one chat region stack in `awsRegion` (the region left the topology) and waits for it to go. */
async function deleteRegionStack(topology: Topology, awsRegion: string, report: (line: string) => void) {
  const { ListStacksCommand, DeleteStackCommand, waitUntilStackDeleteComplete } = await import(
    '@aws-sdk/client-cloudformation'
  );
  const client = await cloudformationClient({ region: awsRegion, maxAttempts: 3 });
  const prefix = names.regionStack(topology, '');
  try {
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListStacksCommand({ NextToken: token }));
      for (const s of page.StackSummaries ?? []) {
        if (s.StackName?.startsWith(prefix) && s.StackStatus !== 'DELETE_COMPLETE') found.push(s.StackName);
      }
      token = page.NextToken;
    } while (token);
    for (const stackName of found) {
      report(`deleting ${stackName} in ${awsRegion}`);
      await client.send(new DeleteStackCommand({ StackName: stackName }));
      await waitUntilStackDeleteComplete({ client, maxWaitTime: 3600 }, { StackName: stackName });
    }
  } catch (error) {
    throw explainAwsError(error, `deleting the region stack in ${awsRegion}`);
  } finally {
    client.destroy();
  }
}

function stepTitle(topology: Topology, step: DeployStep): string {
  if (step.action === 'deploy-stack') return `${step.stackName} (${step.awsRegion}): ${step.why}`;
  if (step.action === 'delete-region-stack') return `delete the region stack in ${step.awsRegion}`;
  return `${names.globalDataStack(topology)}: ${step.why}`;
}

/** `chatctl deploy` (and `region add` with target aws): plan, check, then apply the plan step by step. */
export async function deployChat(topology: Topology, options: DeployOptions = {}): Promise<DeployOutcome> {
  if (!options.dryRun) requireAwsTarget(topology, 'deploy');
  const target = options.dryRun ? await openTarget(topology) : awsTarget(topology);
  const state = { report: (_line: string) => {}, preApproved: options.yes === true };
  const { plan, toolkit, assembly } = await prepareDeploy(topology, target, {
    region: options.region,
    outDir: options.outDir,
    bundle: !options.dryRun,
    ioHost: progressIoHost(state),
  });
  try {
    if (options.dryRun) {
      const failed = plan.checks.filter((c) => !c.ok).length;
      return {
        applied: false,
        dryRun: true,
        detail: `dry run: ${plan.steps.length} step(s) planned, ${failed === 0 ? 'every preflight check passed' : `${failed} preflight check(s) failed`}; nothing was deployed`,
        plan,
        changes: [],
        deployed: [],
      };
    }
    requirePreflight(plan.checks);
    const diffs = (await toolkit.diff(assembly, {
      stacks: await selection(plan.stacks.map((s) => s.stackName)),
    })) as unknown as Record<string, TemplateDiffLike>;
    const changes = summarizeDiffs(diffs);
    const sensitive = needsConfirmation(changes);
    const deletes = plan.steps.filter((s) => s.action === 'delete-region-stack');
    if ((sensitive.length > 0 || deletes.length > 0) && !options.yes) {
      const lines = [
        ...sensitive.map(
          (c) =>
            `  ${c.stackName}:${c.iamChanges ? ' IAM changes' : ''}${c.removals.length > 0 ? ` deletes ${c.removals.join(', ')}` : ''}`,
        ),
        ...deletes.map((s) => `  the region stack in ${s.awsRegion} is deleted, then its replica`),
      ];
      const question = `The deploy changes IAM or deletes resources:\n${lines.join('\n')}\nDeploy?`;
      if (!(await (options.confirm ?? askOnTerminal)(question))) {
        return {
          applied: false,
          dryRun: false,
          detail:
            'not deployed: IAM changes or deletions were not confirmed (run again with --yes to skip the question)',
          plan,
          changes,
          deployed: [],
        };
      }
    }
    state.preApproved = true;

    const { Listr } = await import('listr2');
    const deployed: string[] = [];
    let done = 0;
    const tasks = new Listr(
      plan.steps.map((step) => ({
        title: stepTitle(topology, step),
        task: async (_ctx: unknown, task: { output: string }) => {
          state.report = (line) => {
            task.output = line;
          };
          if (step.action === 'deploy-stack') {
            await toolkit.deploy(assembly, { stacks: await selection([step.stackName]) });
            deployed.push(step.stackName);
          } else if (step.action === 'delete-region-stack') {
            await deleteRegionStack(topology, step.awsRegion, state.report);
          } else {
            // One replica change: the global data stack synthesized with this step's replicas.
            const { source } = await chatAssemblySource(toolkit, topology, {
              bundle: true,
              outDir: `${options.outDir ?? 'cdk.out'}.replicas`,
              replicaRegions: step.replicaRegions,
              unprotectedReplicas: step.unprotectedReplicas,
            });
            const stepAssembly = await toolkit.synth(source);
            try {
              await toolkit.deploy(stepAssembly, {
                stacks: await selection([names.globalDataStack(topology)]),
              });
            } finally {
              await stepAssembly.dispose();
            }
          }
          done++;
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
      const at = plan.steps[done];
      throw new UserError(
        `deploy stopped at "${at ? stepTitle(topology, at) : '?'}": ${(error as Error).message}`,
        {
          hint: `deployed before it: ${deployed.join(', ') || 'none'}; fix the cause and run the same command again (it plans again from what is deployed)`,
          cause: error,
        },
      );
    }
    return {
      applied: true,
      dryRun: false,
      detail: `${done} step(s): deployed ${deployed.length} stack(s)`,
      plan,
      changes,
      deployed,
    };
  } finally {
    await assembly.dispose();
  }
}
