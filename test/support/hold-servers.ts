/**
 * A hub process that starts the servers under CHILDHUB_HOME (as `serve` or `worker` would), prints `READY`
 * and waits, so a test can kill it as a user would (`kill -9`), or stop it (SIGTERM: it stops its servers).
 */
import { parseConfig } from '../../src/config/config.js';
import { startInfrastructure } from '../../src/infra/infrastructure.js';
import { createLogger } from '../../src/observability/logger.js';

const infra = await startInfrastructure(parseConfig(), createLogger({ level: 'warn' }));
// Before READY: the test may signal the moment it reads it.
process.once('SIGTERM', () => void infra.stop().then(() => process.exit(143)));
setInterval(() => {}, 60_000);
process.stdout.write(`READY ${JSON.stringify({ postgres: infra.started.postgres, redis: infra.started.redis })}\n`);
