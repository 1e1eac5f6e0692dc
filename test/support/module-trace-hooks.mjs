// The loader hook of module-trace.mjs (it runs on the loader's own thread).
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.MODULE_TRACE, `${fileURLToPath(url)}\n`);
  return next(url, context);
}
