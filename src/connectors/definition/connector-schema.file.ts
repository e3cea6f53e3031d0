import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONNECTORS_DIR } from './connector-catalog.js';
import { connectorJsonSchema } from './connector-definition.schema.js';

/** Where the published JSON Schema of definitions lives (editors read it through `$schema` comments). */
export const CONNECTOR_SCHEMA_FILE = path.join(CONNECTORS_DIR, 'connector.schema.json');

export function connectorSchemaText(): string {
  return `${JSON.stringify(connectorJsonSchema(), null, 2)}\n`;
}

/** Writes the schema file, or with `check` reports whether it is current. Returns false when stale. */
export function writeConnectorSchema(opts: { check: boolean }): boolean {
  const text = connectorSchemaText();
  if (opts.check) {
    const current = existsSync(CONNECTOR_SCHEMA_FILE) ? readFileSync(CONNECTOR_SCHEMA_FILE, 'utf8') : '';
    if (current !== text) {
      process.stderr.write('connectors/connector.schema.json is out of date: run `npm run childhub -- connectors schema` and commit it.\n');
      return false;
    }
    return true;
  }
  writeFileSync(CONNECTOR_SCHEMA_FILE, text);
  process.stdout.write(`wrote ${path.relative(process.cwd(), CONNECTOR_SCHEMA_FILE)}\n`);
  return true;
}
