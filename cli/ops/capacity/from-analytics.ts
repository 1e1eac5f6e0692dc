/**
 * `capacity --from-analytics`: the cross-region share and the room size measured by the daily analytics job
 * (`analytics daily` writes `<folder>/cross-region-share.json` and `room-sizes.json`), instead of assumed. The
 * seeds' premise is that cross-region rooms are rare; this is where that is checked against the chat itself.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../../core/errors.js';

export interface AnalyticsInputs {
  readonly crossRegionShare: number;
  /** Mean members per room (rooms with a member in the day's rows). */
  readonly avgRoom: number;
  /** The daily folder read. */
  readonly source: string;
}

/** `latest` is the newest `day=` folder under `dailyRoot`; anything else is a daily folder's path. */
export async function resolveDailyFolder(given: string, dailyRoot: string): Promise<string> {
  if (given !== 'latest') return given;
  const days = (await readdir(dailyRoot).catch(() => [] as string[])).filter((d) =>
    /^day=\d{4}-\d{2}-\d{2}$/.test(d),
  );
  const newest = days.sort().pop();
  if (!newest) {
    throw new UserError(`no daily analytics results in ${dailyRoot}`, {
      hint: 'run: chatctl analytics daily (--today for the day so far)',
    });
  }
  return join(dailyRoot, newest);
}

async function rowsOf(folder: string, query: string): Promise<Record<string, unknown>[]> {
  const path = join(folder, `${query}.json`);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UserError(`no ${query}.json in ${folder}`, {
      hint: 'give the folder chatctl analytics daily wrote (…/daily/day=YYYY-MM-DD), or latest',
    });
  }
  const parsed = JSON.parse(text) as { rows?: unknown };
  if (!Array.isArray(parsed.rows)) throw new UserError(`${path} has no rows: not a daily result`);
  return parsed.rows as Record<string, unknown>[];
}

export async function analyticsInputs(folder: string): Promise<AnalyticsInputs> {
  const [share] = await rowsOf(folder, 'cross-region-share');
  const crossRegionShare = Number(share?.cross_region_share);
  if (share?.cross_region_share === null || !Number.isFinite(crossRegionShare)) {
    throw new UserError(`the day in ${folder} has no messages: no cross-region share to plan from`, {
      hint: 'pick a day with traffic, or give --cross-region-share',
    });
  }
  const rooms = (await rowsOf(folder, 'room-sizes')).map((r) => Number(r.members)).filter((n) => n >= 1);
  if (rooms.length === 0) {
    throw new UserError(`the day in ${folder} has no room members: no room size to plan from`, {
      hint: 'pick a day with traffic, or give --avg-room',
    });
  }
  const avgRoom = rooms.reduce((a, b) => a + b, 0) / rooms.length;
  return { crossRegionShare, avgRoom, source: folder };
}
