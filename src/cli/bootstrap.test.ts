import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../config/config.js';

/** Runs a logger as the CLI builds it in a process of its own; returns what reached stdout and stderr. */
function logWith(pretty: boolean, env: Record<string, string> = {}): { stdout: string; stderr: string } {
  const script = `
    const { bootLogger } = await import('./src/cli/bootstrap.ts');
    const { parseConfig } = await import('./src/config/config.ts');
    bootLogger(parseConfig({ LOG_LEVEL: 'info', NODE_ENV: 'test' }), ${pretty}).info('hub log line');`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: PROJECT_ROOT, env: { ...process.env, ...env, LOG_FORMAT: env.LOG_FORMAT ?? '' }, encoding: 'utf8',
  });
  return { stdout: r.stdout, stderr: r.stderr };
}

describe('the CLI logger', () => {
  it('a command for people logs to stderr, readable, so its stdout is its output alone', () => {
    const { stdout, stderr } = logWith(true);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/INFO.*hub log line/);
  });

  it('an explicit LOG_FORMAT=json is honoured there too; services log JSON to stdout', () => {
    const json = logWith(true, { LOG_FORMAT: 'json' });
    expect(json.stdout).toBe('');
    expect(JSON.parse(json.stderr.trim())).toMatchObject({ level: 30, msg: 'hub log line' });
    const service = logWith(false);
    expect(JSON.parse(service.stdout.trim())).toMatchObject({ msg: 'hub log line' });
  });
});
