import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../config/config.js';

describe('createLogger, pretty', () => {
  it('writes no colour codes to a file or pipe, and every line logged right before process.exit (QA: demo.log)', () => {
    const script = `
      const { createLogger } = await import('./src/observability/logger.ts');
      const log = createLogger({ format: 'pretty', fd: 2 });
      log.info('shutting down gracefully');
      log.info({ serverPid: 1 }, 'stopping the local redis-server');
      process.exit(0);`;
    const env = { ...process.env };
    delete env.NO_COLOR;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT, env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/INFO: shutting down gracefully\n/);
    expect(r.stderr).toMatch(/INFO: stopping the local redis-server\n\s+serverPid: 1/);
    expect(r.stderr).not.toContain('\x1b[');
  });
});
