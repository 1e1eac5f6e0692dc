/**
 * The control API's request bodies as zod schemas (control.ts parses each before acting), so a bad body is a
 * 400 naming the field and changes nothing. The fault itself is then parsed by faults.ts, which names the
 * fault meant.
 */
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { regionSchema } from '../core/topology.js';
import type { AddRegionRequest, ConsoleTokenRequest, FaultRequest, HealRequest } from './control-api.js';

const name = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .min(1, `${what} must not be empty`);

export const CONTROL_INPUT = {
  fault: z.object({ region: name('region'), fault: name('fault') }) satisfies z.ZodType<FaultRequest>,
  heal: z.object({
    region: name('region'),
    fault: name('fault')
      .nullish()
      .transform((f) => f ?? undefined),
  }) satisfies z.ZodType<HealRequest>,
  addRegion: z.object({ spec: regionSchema }) satisfies z.ZodType<AddRegionRequest>,
  startDrill: z.record(z.string(), z.unknown(), { error: 'a drill request is a JSON object' }),
  consoleToken: z.object({ userId: z.string({ error: 'userId must be a string' }) }) satisfies z.ZodType<
    ConsoleTokenRequest,
    unknown
  >,
};

/**
 * The body as the schema reads it; otherwise a UserError (400, exit 2 in the CLI) whose sentence names the
 * first field that is wrong.
 */
export function parseControlInput<T>(schema: z.ZodType<T>, body: unknown, route: string): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length > 0 ? issue.path.join('.') : 'the body';
  const given = issue.path.reduce<unknown>(
    (at, key) => (at && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[key] : undefined),
    body,
  );
  const problem =
    issue.code === 'invalid_type' && given === undefined ? 'is missing' : `is wrong: ${issue.message}`;
  throw new UserError(`${route}: ${field} ${problem}`, {
    hint: issue.path.length > 0 ? undefined : 'send a JSON object',
    exitCode: 2,
  });
}
