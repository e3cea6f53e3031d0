import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { writeFacilityInspectionDrop } from '../../connectors/facility-inspection/simulator.js';
import { startHealthStationSimulator, type HealthStationSimulator } from '../../connectors/health-station/simulator.js';
import { writeJusticeRegisterDrop } from '../../connectors/justice-register/simulator.js';
import { startSchoolSimulator, type SchoolSimulator } from '../../connectors/school/simulator.js';

export interface DemoSources {
  /** What the banner shows: each source and where it is. */
  lines: string[];
  /**
   * A file of `NAME=value` lines with the settings the demo gave the connectors (its simulators' URLs and
   * made-up credentials, its drop folders), for connector commands run in another terminal; removed on
   * close. Undefined when the demo set none.
   */
  envFile?: string;
  close(): Promise<void>;
}

/** Where the demo leaves its connector settings for other terminals (see DemoSources.envFile). */
export const DEMO_ENV_FILE = 'demo-sources.env';

/** True when `dir` holds at least one file. */
function hasFiles(dir: string): boolean {
  return existsSync(dir) && readdirSync(dir).some((f) => !f.startsWith('.'));
}

/**
 * The four agency systems for the demo, over the same synthetic population: the health-station FHIR server
 * and the school API as simulators on free loopback ports (credentials made up per run), and the justice
 * and facility-inspection exports written once into drop folders under the hub's home. Points the
 * connector definitions at them through the environment variables the definitions name, unless set (and,
 * for the drops it writes, reads their files without waiting for them to settle: they are complete).
 */
export async function startDemoSources(opts: { seed: number; count: number; home: string; logger: Logger }): Promise<DemoSources> {
  const before = { ...process.env };
  const env = process.env;
  const started: Array<HealthStationSimulator | SchoolSimulator> = [];
  const lines: string[] = [];
  if (!env.HEALTH_STATION_FHIR_URL) {
    const clientSecret = randomBytes(16).toString('hex');
    const sim = await startHealthStationSimulator({ seed: opts.seed, count: opts.count, port: 0, clientId: 'childhub-demo', clientSecret, logger: opts.logger });
    started.push(sim);
    Object.assign(env, {
      HEALTH_STATION_FHIR_URL: sim.url,
      HEALTH_STATION_TOKEN_URL: `${sim.url}/oauth/token`,
      HEALTH_STATION_CLIENT_ID: 'childhub-demo',
      HEALTH_STATION_CLIENT_SECRET: clientSecret,
    });
    lines.push(`health-station       ${sim.url}/fhir (simulated FHIR R4 server, OAuth2)`);
  }
  if (!env.SCHOOL_API_URL) {
    const apiKey = randomBytes(12).toString('hex');
    const sim = await startSchoolSimulator({ seed: opts.seed, count: opts.count, port: 0, apiKey, logger: opts.logger });
    started.push(sim);
    Object.assign(env, { SCHOOL_API_URL: sim.url, SCHOOL_API_KEY: apiKey });
    lines.push(`school               ${sim.url}/api/v1/hoc-sinh (simulated education API, API key)`);
  }
  if (!env.JUSTICE_REGISTER_DROP_DIR) {
    const dir = path.join(opts.home, 'drops', 'justice-register');
    mkdirSync(dir, { recursive: true });
    if (!hasFiles(dir)) await writeJusticeRegisterDrop({ dir, seed: opts.seed, count: opts.count });
    env.JUSTICE_REGISTER_DROP_DIR = dir;
    // Written whole just now, by the demo itself: nothing is still being copied in, so no file waits to settle.
    env.JUSTICE_REGISTER_SETTLE_SECONDS ??= '0';
    lines.push(`justice-register     ${dir} (birth and adoption register exports)`);
  }
  if (!env.FACILITY_INSPECTION_DROP_DIR) {
    const dir = path.join(opts.home, 'drops', 'facility-inspection');
    mkdirSync(dir, { recursive: true });
    if (!hasFiles(dir)) await writeFacilityInspectionDrop({ dir, seed: opts.seed, count: opts.count });
    env.FACILITY_INSPECTION_DROP_DIR = dir;
    env.FACILITY_INSPECTION_SETTLE_SECONDS ??= '0';
    lines.push(`facility-inspection  ${dir} (inspection reports, XLSX)`);
  }
  const set = Object.entries(env).filter(([k, v]) => v !== undefined && before[k] !== v && /^(HEALTH_STATION|SCHOOL|JUSTICE_REGISTER|FACILITY_INSPECTION)_/.test(k));
  let envFile: string | undefined;
  if (set.length) {
    envFile = path.join(opts.home, DEMO_ENV_FILE);
    // The credentials are made up for this run, but they are credentials: readable by this user only.
    writeFileSync(envFile, `# Written by \`npm run demo\` while it runs: the settings it gave the connectors.\n${set.map(([k, v]) => `${k}='${v!.replaceAll("'", "'\\''")}'`).join('\n')}\n`, { mode: 0o600 });
  }
  return {
    lines,
    ...(envFile ? { envFile } : {}),
    close: async () => {
      if (envFile) rmSync(envFile, { force: true });
      await Promise.all(started.map((s) => s.close()));
    },
  };
}
