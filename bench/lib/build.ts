import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/config.js';

/**
 * Compiles the hub as `npm run build` does (tsconfig.build.json, reference data copied beside it) into
 * `outDir` instead of `dist/`: the production image runs the compiled build (`node bin/childhub.js` →
 * `dist/src/cli/main.js`), and a bench must not leave a `dist/` behind that `bin/childhub.js` would then
 * prefer over the sources in this checkout. `outDir` must be inside the project, so the compiled code
 * finds the project root and `node_modules` by walking up. Returns the compiled CLI's entry point.
 */
export function buildHub(outDir: string): string {
  const rel = path.relative(PROJECT_ROOT, outDir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`the build folder ${outDir} must be inside ${PROJECT_ROOT}`);
  rmSync(outDir, { recursive: true, force: true });
  execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cpSync(path.join(PROJECT_ROOT, 'src', 'reference', 'data'), path.join(outDir, 'src', 'reference', 'data'), { recursive: true });
  return path.join(outDir, 'src', 'cli', 'main.js');
}

/**
 * The Node flags the production image starts the hub with: those between `node` and `bin/childhub.js` in the
 * Dockerfile's ENTRYPOINT (one place to change them; a bench that runs "as the image runs it" uses them).
 */
export function imageNodeFlags(): string[] {
  const dockerfile = readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
  const m = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile);
  if (!m) throw new Error('Dockerfile: no ENTRYPOINT in exec form');
  const argv = JSON.parse(m[1]!) as string[];
  const script = argv.indexOf('bin/childhub.js');
  if (argv[0] !== 'node' || script < 1) throw new Error(`Dockerfile: ENTRYPOINT ${m[1]} is not ["node", …flags, "bin/childhub.js"]`);
  return argv.slice(1, script);
}
