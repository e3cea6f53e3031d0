import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJusticeRegisterDrop } from '../connectors/justice-register/simulator.js';
import { startTestHub, type TestHub } from './support/test-hub.js';
import { tempDir } from './support/temp-dir.js';

/**
 * What an operator and a steward see of the quarantine over several runs of the justice register's CSV, whose
 * stored rows later arrive broken (a birth date of 29/02/2025): which run rejected what, which connectors have
 * open rejects, and, on the stored record, that the source sent a newer version the hub refused.
 */
describe('the quarantine seen over runs', () => {
  let hub: TestHub;
  let file: string;
  let original: string;
  /** External ids of the rows broken on day 2. */
  const broken: string[] = [];
  /** The runs that read the broken rows, oldest first. */
  const runs: string[] = [];
  const saved = { ...process.env };

  beforeAll(async () => {
    const dir = tempDir('childhub-rejects-overview-');
    const drop = await writeJusticeRegisterDrop({ dir, seed: 4242, count: 120 });
    file = drop.files.find((f) => f.path.endsWith('.csv'))!.path;
    process.env.JUSTICE_REGISTER_DROP_DIR = dir;
    hub = await startTestHub();
    original = readFileSync(file, 'utf8');
    // Day 1: every row stored.
    expect((await sync()).rejected).toBe(0);
    // Day 2 on: three stored rows come with a birth date that does not exist.
    const lines = original.split('\n');
    for (let i = 41; broken.length < 3; i++) {
      // A row without quotes, so its cells split on commas: its 8th cell is the birth date (dd/MM/yyyy).
      if (lines[i]!.includes('"') || !/^[^,]+(,[^,]*){7}/.test(lines[i]!)) continue;
      const cells = lines[i]!.split(',');
      cells[7] = '29/02/2025';
      lines[i] = cells.join(',');
      broken.push(cells[0]!);
    }
    writeFileSync(file, lines.join('\n'));
    for (let n = 0; n < 3; n++) {
      const run = await sync();
      expect(run.rejected).toBe(broken.length);
      runs.push(run.runId);
    }
  }, 120_000);

  afterAll(async () => {
    await hub?.close();
    process.env = saved;
  });

  async function sync() {
    const run = await hub.ctx.connectors.run('justice-register', { trigger: 'CLI', files: [file], force: true });
    expect(run.status).toBe('SUCCEEDED');
    return run;
  }

  it('lists what each run rejected for that run, the runs between the first and the last too', async () => {
    const token = await hub.token({ roles: ['operator'] });
    for (const runId of runs) {
      const res = await hub.gql<{ rejectedRecords: Array<{ externalId: string; runId: string; lastRunId: string }> }>(
        'query($runId: ID) { rejectedRecords(runId: $runId, unresolvedOnly: false) { externalId runId lastRunId } }', { runId }, token);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.rejectedRecords.map((r) => r.externalId).sort(), runId).toEqual([...broken].sort());
      for (const r of res.body.data!.rejectedRecords) expect(r).toMatchObject({ runId: runs[0], lastRunId: runs[2] });
    }
  });
});
