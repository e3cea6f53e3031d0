import { describe, expect, it } from 'vitest';
import { createLogger } from '../observability/logger.js';
import { ensureRedisServerBinary, REDIS_INSTALL_COMMAND } from './local-redis.js';

describe('finding redis-server', () => {
  const logger = createLogger({ level: 'silent' });

  it('stops with the exact command to run when it is missing and may not install it', () => {
    expect(() => ensureRedisServerBinary({ autoInstall: false, logger, searchPath: '/nonexistent' })).toThrow(REDIS_INSTALL_COMMAND);
    expect(() => ensureRedisServerBinary({ autoInstall: false, logger, searchPath: '/nonexistent' })).toThrow(/REDIS_URL=redis:\/\//);
  });

});
