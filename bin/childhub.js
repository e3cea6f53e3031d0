#!/usr/bin/env node
// The `childhub` command. Runs the compiled build when there is one (production image), otherwise the
// TypeScript sources through tsx (a development checkout after `npm ci`).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
