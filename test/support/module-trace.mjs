// Preloaded with `node --import` by the start-up test: appends the path of every module the process loads
// (ES modules through a loader hook, CommonJS through Module._load) to the file named by MODULE_TRACE.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const out = process.env.MODULE_TRACE;
if (out) {
  register('./module-trace-hooks.mjs', import.meta.url);
  const load = Module._load;
  Module._load = function traced(request, parent, isMain, ...rest) {
    if (!Module.isBuiltin(request)) {
      try {
        appendFileSync(out, `${Module._resolveFilename(request, parent, isMain)}\n`);
      } catch {}
    }
    return load.call(this, request, parent, isMain, ...rest);
  };
  appendFileSync(out, `${fileURLToPath(import.meta.url)}\n`);
}
