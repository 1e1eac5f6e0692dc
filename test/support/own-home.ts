// Runs before each test file: its own CHATCTL_HOME, so that code reading the default state folder (the
// machine's one sandbox) reads this file's, never the user's or another test file's running beside it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const home = mkdtempSync(join(tmpdir(), 'chatctl-home-'));
process.env.CHATCTL_HOME = home;
afterAll(() => rmSync(home, { recursive: true, force: true }));
