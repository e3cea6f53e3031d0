import { createHash, randomBytes } from 'node:crypto';
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

/**
 * Written into the demo's env file: the names of the settings it holds, each with a digest of its value
 * (`NAME:digest …`). A terminal that loaded the file carries it on, and the next demo started there tells the
 * settings its earlier run made up (simulators long stopped) from the ones a user set: a value changed since
 * is the user's.
 */
export const DEMO_SOURCES_MARKER = 'CHILDHUB_DEMO_SOURCES';

const SOURCE_SETTING = /^(HEALTH_STATION|SCHOOL|JUSTICE_REGISTER|FACILITY_INSPECTION)_/;

function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}

/**
 * Removes from `env` the source settings an earlier demo's env file put there (named in its marker), and the
 * marker; returns their names. A connector's settings go together: if any of them was changed since (its value
 * is the user's now), all of that connector's are kept, so that a key the user set is not dropped from under the
 * URL that goes with it, nor replaced by a simulator's made up (QA re-check).
 */
function forgetEarlierDemoSettings(env: NodeJS.ProcessEnv): string[] {
  const marker = env[DEMO_SOURCES_MARKER];
  if (marker === undefined) return [];
  delete env[DEMO_SOURCES_MARKER];
  const byConnector = new Map<string, { unchanged: string[]; changed: boolean }>();
  for (const entry of marker.split(/\s+/).filter(Boolean)) {
    const [name, hash] = entry.split(':');
    const connector = name ? SOURCE_SETTING.exec(name)?.[1] : undefined;
    if (!name || !connector || env[name] === undefined) continue;
    const c = byConnector.get(connector) ?? { unchanged: [], changed: false };
    if (digest(env[name]!) === hash) c.unchanged.push(name);
    else c.changed = true;
    byConnector.set(connector, c);
  }
  const forgotten: string[] = [];
  for (const c of byConnector.values()) {
    if (c.changed) continue;
    for (const name of c.unchanged) delete env[name];
    forgotten.push(...c.unchanged);
  }
  return forgotten.sort();
}

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
export async function startDemoSources(opts: {
  seed: number;
  count: number;
  home: string;
  /** The simulators' own logger. */
  logger: Logger;
  /** Where the demo says which settings it took from the environment and which it ignored. */
  hubLogger?: Logger;
}): Promise<DemoSources> {
  const env = process.env;
  // QA: a terminal that had loaded the file pointed the next demo at the dead ports of the one before.
  const forgotten = forgetEarlierDemoSettings(env);
  if (forgotten.length) {
    opts.hubLogger?.info({ settings: forgotten }, `source settings from an earlier demo's ${DEMO_ENV_FILE} ignored: the demo starts its own sources`);
  }
  const taken = Object.keys(env).filter((k) => SOURCE_SETTING.test(k) && env[k] !== undefined).sort();
  if (taken.length) opts.hubLogger?.info({ settings: taken }, 'source settings taken from the environment');
  const before = { ...env };
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
  } else {
    lines.push(`health-station       ${env.HEALTH_STATION_FHIR_URL} (HEALTH_STATION_FHIR_URL, from the environment)`);
  }
  if (!env.SCHOOL_API_URL) {
    const apiKey = randomBytes(12).toString('hex');
    const sim = await startSchoolSimulator({ seed: opts.seed, count: opts.count, port: 0, apiKey, logger: opts.logger });
    started.push(sim);
    Object.assign(env, { SCHOOL_API_URL: sim.url, SCHOOL_API_KEY: apiKey });
    lines.push(`school               ${sim.url}/api/v1/hoc-sinh (simulated education API, API key)`);
  } else {
    lines.push(`school               ${env.SCHOOL_API_URL} (SCHOOL_API_URL, from the environment)`);
  }
  if (!env.JUSTICE_REGISTER_DROP_DIR) {
    const dir = path.join(opts.home, 'drops', 'justice-register');
    mkdirSync(dir, { recursive: true });
    if (!hasFiles(dir)) await writeJusticeRegisterDrop({ dir, seed: opts.seed, count: opts.count });
    env.JUSTICE_REGISTER_DROP_DIR = dir;
    // Written whole just now, by the demo itself: nothing is still being copied in, so no file waits to settle.
    env.JUSTICE_REGISTER_SETTLE_SECONDS ??= '0';
    lines.push(`justice-register     ${dir} (birth and adoption register exports)`);
  } else {
    lines.push(`justice-register     ${env.JUSTICE_REGISTER_DROP_DIR} (JUSTICE_REGISTER_DROP_DIR, from the environment)`);
  }
  if (!env.FACILITY_INSPECTION_DROP_DIR) {
    const dir = path.join(opts.home, 'drops', 'facility-inspection');
    mkdirSync(dir, { recursive: true });
    if (!hasFiles(dir)) await writeFacilityInspectionDrop({ dir, seed: opts.seed, count: opts.count });
    env.FACILITY_INSPECTION_DROP_DIR = dir;
    env.FACILITY_INSPECTION_SETTLE_SECONDS ??= '0';
    lines.push(`facility-inspection  ${dir} (inspection reports, XLSX)`);
  } else {
    lines.push(`facility-inspection  ${env.FACILITY_INSPECTION_DROP_DIR} (FACILITY_INSPECTION_DROP_DIR, from the environment)`);
  }
  const set = Object.entries(env).filter(([k, v]) => v !== undefined && before[k] !== v && SOURCE_SETTING.test(k));
  let envFile: string | undefined;
  if (set.length) {
    envFile = path.join(opts.home, DEMO_ENV_FILE);
    // The credentials are made up for this run, but they are credentials: readable by this user only.
    const marker = set.map(([k, v]) => `${k}:${digest(v!)}`).join(' ');
    const assignments = [...set, [DEMO_SOURCES_MARKER, marker] as const].map(([k, v]) => `${k}='${v!.replaceAll("'", "'\\''")}'`);
    writeFileSync(envFile, `# Written by \`npm run demo\` while it runs: the settings it gave the connectors.\n# ${DEMO_SOURCES_MARKER} tells the next demo started in a terminal that loaded this file to start its own sources.\n${assignments.join('\n')}\n`, { mode: 0o600 });
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
