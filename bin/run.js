#!/usr/bin/env node
// The chatctl entry point. Commands load from dist/ through oclif.manifest.json, so --help imports no command.
// An error no command caught (a plugin's command, a bad command line) is said in chatctl's one style.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// oclif's core as the build bundled it (scripts/bundle-startup.mjs): the one copy the commands use too.
import { flush, handle, run } from '../dist/bundled/oclif-core.js';

try {
  await run(process.argv.slice(2), import.meta.url);
  await flush();
} catch (error) {
  const { reportUncaught } = await import('../dist/cli/errors.js');
  if (!reportUncaught(error)) await handle(error);
}
