import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_SOURCES_MARKER, startDemoSources } from './demo-sources.js';

const SOURCE = /^(HEALTH_STATION|SCHOOL|JUSTICE_REGISTER|FACILITY_INSPECTION)_|^CHILDHUB_DEMO_SOURCES$/;

/** The environment a terminal has after `set -a; . <file>; set +a`. */
function loaded(file: string): Record<string, string> {
  const out = execFileSync('env', ['-i', 'bash', '--norc', '--noprofile', '-c', 'set -a; . "$1"; set +a; env -0', 'bash', file]).toString();
  return Object.fromEntries(out.split('\0').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]).filter(([k]) => SOURCE.test(k!)));
}

describe('startDemoSources', () => {
  let home: string;
  let saved: NodeJS.ProcessEnv;
  const messages: Array<{ msg: string; settings?: string[] }> = [];
  const hubLogger = pino({ level: 'info' }, { write: (line: string) => void messages.push(JSON.parse(line)) });
  const quiet = pino({ level: 'silent' });
  beforeEach(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'childhub-demo-sources-'));
    saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (SOURCE.test(k)) delete process.env[k];
    messages.length = 0;
  });
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    rmSync(home, { recursive: true, force: true });
  });

  it("starts its own sources in a terminal that loaded an earlier demo's file, and keeps what the user set", async () => {
    const first = await startDemoSources({ seed: 7, count: 20, home, logger: quiet, hubLogger });
    const fromFile = loaded(first.envFile!);
    await first.close();
    expect(fromFile[DEMO_SOURCES_MARKER]).toBeTruthy();
    const deadUrl = fromFile.SCHOOL_API_URL;
    expect(deadUrl).toMatch(/^http:/);

    // The next demo in that terminal, where the user has also pointed the health station somewhere of their own.
    for (const k of Object.keys(process.env)) if (SOURCE.test(k)) delete process.env[k];
    Object.assign(process.env, fromFile, { HEALTH_STATION_FHIR_URL: 'http://127.0.0.1:9/fhir-of-my-own' });
    const second = await startDemoSources({ seed: 7, count: 20, home, logger: quiet, hubLogger });
    try {
      expect(process.env.SCHOOL_API_URL).not.toBe(deadUrl);
      await fetch(`${process.env.SCHOOL_API_URL}/api/v1/hoc-sinh`); // a simulator answers there (refused: it throws)
      expect(process.env.HEALTH_STATION_FHIR_URL).toBe('http://127.0.0.1:9/fhir-of-my-own');
      expect(second.lines.join('\n')).toContain('HEALTH_STATION_FHIR_URL, from the environment');
      const ignored = messages.find((m) => m.msg.includes('ignored'));
      expect(ignored?.settings).toEqual(expect.arrayContaining(['SCHOOL_API_URL', 'SCHOOL_API_KEY']));
      // A connector's settings go together: the health station's URL changed, so its secret from the file is kept
      // with it (QA re-check: a key dropped from under the URL the user set, or replaced by a made-up one).
      expect(ignored?.settings?.filter((k) => k.startsWith('HEALTH_STATION_'))).toEqual([]);
      expect(process.env.HEALTH_STATION_CLIENT_SECRET).toBe(fromFile.HEALTH_STATION_CLIENT_SECRET);
      expect(messages.find((m) => m.msg === 'source settings taken from the environment')?.settings)
        .toEqual(expect.arrayContaining(['HEALTH_STATION_FHIR_URL', 'HEALTH_STATION_CLIENT_SECRET']));
    } finally {
      await second.close();
    }
  });
});
