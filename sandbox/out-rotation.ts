/**
 * A detached sandbox's own output (`sandbox.out`: its banner, its warnings, a crash) is the file its stdout and
 * stderr were opened on, in append mode. Nothing outside can rotate a file another process writes, so the
 * process rotates its own: when the file passes its bound, its content is copied to `sandbox.out.1` and the
 * file emptied through the descriptor (appends go on at its new end). At most about twice the bound stays on
 * disk, whatever floods it (a dead engine's errors did 50 KB/s).
 */
import { chmodSync, copyFileSync, fstatSync, ftruncateSync, statSync } from 'node:fs';
import { PRIVATE_FILE_MODE } from './private-files.js';

export const DEFAULT_OUT_MAX_BYTES = 2 * 2 ** 20;

/** Checks every `everyMs` that fd 1 is `path` and rotates it past `maxBytes`; returns the function that stops it. */
export function rotateOwnOutput(path: string, maxBytes = DEFAULT_OUT_MAX_BYTES, everyMs = 1000): () => void {
  const check = () => {
    try {
      const out = fstatSync(1);
      const file = statSync(path);
      if (out.ino !== file.ino || out.dev !== file.dev || out.size <= maxBytes) return;
      copyFileSync(path, `${path}.1`);
      chmodSync(`${path}.1`, PRIVATE_FILE_MODE);
      ftruncateSync(1, 0);
    } catch {
      // not a file, or gone: nothing to rotate
    }
  };
  check();
  const timer = setInterval(check, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
