import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/config/config.js';

const run = promisify(execFile);

/** Runs `childhub <args>` from the sources to its end, as a user would: exit code, stdout and stderr. */
export async function runChildhub(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runChildhubFor(undefined, env, ...args);
}

/** {@link runChildhub}, stopped (SIGTERM, as Ctrl-C would) after `timeoutMs` when given: for a command that waits. */
export async function runChildhubFor(timeoutMs: number | undefined, env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // The folder `npm test` was typed in is not where these commands are typed: only a test that sets INIT_CWD
  // itself has the CLI read relative paths from another folder than the project's (see workInTypedFolder).
  const own = { ...env };
  if (own.INIT_CWD === process.env.INIT_CWD) delete own.INIT_CWD;
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: PROJECT_ROOT, env: own, maxBuffer: 10 * 1024 * 1024, ...(timeoutMs ? { timeout: timeoutMs } : {}) });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Whether something accepts connections on this loopback port. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
