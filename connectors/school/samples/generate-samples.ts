/**
 * Writes `hoc-sinh-page-1.json`: the first page of the school API exactly as the simulator serves it
 * (synthetic population, seed 2026, 40 children, limit 5). Run once after changing the generator or the
 * simulator: `npx tsx connectors/school/samples/generate-samples.ts`.
 */
import { writeFileSync } from 'node:fs';
import pino from 'pino';
import { SCHOOL_API_PATH, SCHOOL_SIMULATOR_DEFAULT_PORT, startSchoolSimulator } from '../simulator.js';

const sim = await startSchoolSimulator({ seed: 2026, count: 40, port: 0, apiKey: 'sample', logger: pino({ level: 'silent' }) });
try {
  const url = new URL(`${SCHOOL_API_PATH}?nam_hoc=2026-2027&limit=5`, sim.url);
  const res = await fetch(url, { headers: { 'x-api-key': 'sample' } });
  const body = ((await res.text()) as string).replaceAll(sim.url, `http://127.0.0.1:${SCHOOL_SIMULATOR_DEFAULT_PORT}`);
  writeFileSync(new URL('./hoc-sinh-page-1.json', import.meta.url), `${JSON.stringify(JSON.parse(body), null, 2)}\n`);
} finally {
  await sim.close();
}
