#!/usr/bin/env node
// The chatctl entry point. Commands load from dist/ through oclif.manifest.json, so --help imports no command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
