import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Each test file's own CHATCTL_HOME: no test touches the user's sandbox or shares one with another file.
    setupFiles: ['test/support/own-home.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real engines (DynamoDB Local, sandboxes); two cores are all there is.
    maxWorkers: 2,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
