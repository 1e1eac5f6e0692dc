/**
 * The console's server side, part two: the routes the edge serves it under /_chatctl/console/ beside the
 * JSON control routes of control.ts: the page itself (built from ./page/ by `npm run build`) and the live
 * stream of snapshots (server-sent events). Everything the page reads or changes goes through the control
 * API or the chat protocol; these routes only carry it.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONSOLE_EVENTS_PATH, CONSOLE_PAGE_PATH } from '../control-api.js';
import type { ControlledSandbox } from '../controlled.js';
import { consoleSnapshot } from './snapshot.js';

/** How often the stream looks for a change, and how often it sends the snapshot anyway. */
const STREAM_POLL_MS = 400;
const STREAM_KEEPALIVE_MS = 10_000;

const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  'app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/** Answers the console's routes (path below the control prefix); false for any other path. */
export type ConsoleRoutes = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

/** The built page: beside this module in dist/, or in dist/ when this module runs from source (tests). */
const pageDir = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/sandbox/console/page/', import.meta.url)
  : new URL('./page/', import.meta.url);

export function consoleRoutes(sandbox: ControlledSandbox): ConsoleRoutes {
  return (req, res, path) => {
    if (req.method !== 'GET') return false;
    if (path === CONSOLE_EVENTS_PATH) {
      streamSnapshots(sandbox, req, res);
      return true;
    }
    if (!path.startsWith(CONSOLE_PAGE_PATH)) return false;
    const asset = PAGE_FILES[path.slice(CONSOLE_PAGE_PATH.length)];
    if (!asset) return false;
    readFile(new URL(asset.file, pageDir)).then(
      (body) => {
        res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store' });
        res.end(body);
      },
      () => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'the console page is not built', hint: 'run: npm run build' }));
      },
    );
    return true;
  };
}

/** Sends a snapshot at once, then each time it changes (and every few seconds), until the client leaves. */
function streamSnapshots(sandbox: ControlledSandbox, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  let last = '';
  let sentAt = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    if (closed) return;
    if (sandbox.running) {
      try {
        const { at, ...rest } = await consoleSnapshot(sandbox);
        const body = JSON.stringify(rest);
        if (!closed && (body !== last || Date.now() - sentAt > STREAM_KEEPALIVE_MS)) {
          last = body;
          sentAt = Date.now();
          res.write(`data: ${JSON.stringify({ at, ...rest })}\n\n`);
        }
      } catch {
        // The sandbox is stopping under the snapshot; the next tick or the close ends the stream.
      }
    }
    if (!closed) timer = setTimeout(tick, STREAM_POLL_MS);
  };
  req.on('close', () => {
    closed = true;
    if (timer) clearTimeout(timer);
  });
  void tick();
}
