#!/usr/bin/env node
// The chatctl entry point. Commands load from dist/ through oclif.manifest.json, so --help imports no command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// oclif's core as the build bundled it (scripts/bundle-startup.mjs): the one copy the commands use too.
import { execute } from '../dist/bundled/oclif-core.js';

await execute({ dir: import.meta.url });
