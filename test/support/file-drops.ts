import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { AppContext } from '../../src/app/app-context.js';
import { createTestAppContext } from './jobs-test-context.js';
import { createTestEnv, type TestEnv } from './test-env.js';

/** What {@link useFileDropContext} hands a test file once its `beforeAll` has run. */
export interface FileDropContext {
  env: TestEnv;
  ctx: AppContext;
  /** A temporary folder for the test file's drops (removed afterwards). */
  root: string;
}

/**
 * The set-up of a test file that syncs the file connectors over drops it writes (real PostgreSQL): its own
 * database and app context, a temporary folder for the drops, and no wait for files to settle (the drops are
 * written just before each sync, and whole; a test may set a settle time). `use` receives them in `beforeAll`;
 * `afterAll` closes them and gives the environment variables back as they were.
 */
export function useFileDropContext(prefix: string, use: (t: FileDropContext) => void): void {
  const saved = { ...process.env };
  let t: Partial<FileDropContext> = {};
  beforeAll(async () => {
    t.root = mkdtempSync(path.join(os.tmpdir(), prefix));
    process.env.JUSTICE_REGISTER_SETTLE_SECONDS = '0';
    process.env.FACILITY_INSPECTION_SETTLE_SECONDS = '0';
    t.env = await createTestEnv();
    t.ctx = await createTestAppContext(t.env);
    use(t as FileDropContext);
  });
  afterAll(async () => {
    await t.ctx?.close();
    await t.env?.cleanup();
    if (t.root) rmSync(t.root, { recursive: true, force: true });
    process.env = saved;
    t = {};
  });
}
