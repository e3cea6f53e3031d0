import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const moduleUrl = new URL('./embedded-postgres.ts', import.meta.url).href;

/** Runs `body` in a fresh Node process (TypeScript through tsx) after loading the embedded-postgres package. */
function runAfterLoading(body: string) {
  const script = `const { loadEmbeddedPostgres } = await import(${JSON.stringify(moduleUrl)}); await loadEmbeddedPostgres(); ${body}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('loadEmbeddedPostgres', () => {
  it('leaves the exit code of a process that drains its event loop alone', () => {
    // The package's exit hook called process.exit(0) on beforeExit: a failed command (or test run) exited 0.
    const r = runAfterLoading('process.exitCode = 3;');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
  });

  it('leaves signals to the hub', () => {
    const r = runAfterLoading(`process.stdout.write(JSON.stringify(['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'message'].map((e) => process.listenerCount(e))));`);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([0, 0, 0, 0, 0]);
  });
});
