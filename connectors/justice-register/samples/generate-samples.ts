/**
 * Writes the sample drop beside this file, exactly as the simulator writes it (synthetic population, seed 1):
 * `khai-sinh-20261101.csv` and `.xlsx` (the first 25 birth registrations) and `nuoi-con-nuoi-20261101.xlsx` (the
 * adoption registrations of the first 20,000 children). Run once after changing the generator or the
 * simulator: `npx tsx connectors/justice-register/samples/generate-samples.ts`.
 */
import { fileURLToPath } from 'node:url';
import { writeJusticeRegisterDrop } from '../simulator.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
await writeJusticeRegisterDrop({ dir, seed: 1, count: 20_000, rows: 25, format: 'xlsx' });
await writeJusticeRegisterDrop({ dir, seed: 1, count: 20_000, rows: 25, format: 'csv' });
