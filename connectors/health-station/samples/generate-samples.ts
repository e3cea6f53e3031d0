/**
 * Writes `patient-bundle-page-1.json`: the first page of the Patient search with `_revinclude` of
 * Immunization and Observation exactly as the simulator serves it (synthetic population, seed 2026,
 * 40 children, `_count=3`), and `token-response.json`. Run once after changing the generator or the
 * simulator: `npx tsx connectors/health-station/samples/generate-samples.ts`.
 */
import { writeFileSync } from 'node:fs';
import pino from 'pino';
import { HEALTH_STATION_SIMULATOR_DEFAULT_PORT, startHealthStationSimulator } from '../simulator.js';

const sim = await startHealthStationSimulator({ seed: 2026, count: 40, port: 0, clientId: 'sample', clientSecret: 'sample', logger: pino({ level: 'silent' }) });
const shown = `http://127.0.0.1:${HEALTH_STATION_SIMULATOR_DEFAULT_PORT}`;
const write = (name: string, text: string) =>
  writeFileSync(new URL(`./${name}`, import.meta.url), `${JSON.stringify(JSON.parse(text.replaceAll(sim.url, shown)), null, 2)}\n`);
try {
  const token = await fetch(sim.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('sample:sample').toString('base64')}` },
    body: 'grant_type=client_credentials&scope=system%2FPatient.read%20system%2FImmunization.read%20system%2FObservation.read',
  });
  const tokenBody = (await token.json()) as { access_token: string };
  // The sample shows the shape, not a usable token.
  write('token-response.json', JSON.stringify({ ...tokenBody, access_token: '(an opaque string of 32 characters)' }));
  const page = await fetch(`${sim.fhirBaseUrl}/Patient?_count=3&_revinclude=Immunization:patient&_revinclude=Observation:subject`, {
    headers: { authorization: `Bearer ${tokenBody.access_token}`, accept: 'application/fhir+json' },
  });
  write('patient-bundle-page-1.json', await page.text());
} finally {
  await sim.close();
}
