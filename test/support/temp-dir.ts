import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

/**
 * A fresh folder under the system's temporary folder, removed with everything in it once the test file is
 * done (QA: `npm test` left some 88 folders in /tmp a run). `mode`: for one the `postgres` user must
 * traverse when the tests run as root (mkdtemp makes it 0700).
 */
export function tempDir(prefix: string, mode?: number): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  if (mode !== undefined) chmodSync(dir, mode);
  made.push(dir);
  return dir;
}

// Registered on the test file importing this module (each file has its own module instances).
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});
