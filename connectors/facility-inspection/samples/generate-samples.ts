/**
 * Writes `kiem-tra-co-so-2026.xlsx` beside this file, exactly as the simulator writes it (synthetic population,
 * seed 1, 5,000 children: the 2026 round). Run once after changing the generator or the simulator:
 * `npx tsx connectors/facility-inspection/samples/generate-samples.ts`.
 */
import { fileURLToPath } from 'node:url';
import { writeFacilityInspectionDrop } from '../simulator.js';

await writeFacilityInspectionDrop({ dir: fileURLToPath(new URL('.', import.meta.url)), seed: 1, count: 5000, year: 2026 });
