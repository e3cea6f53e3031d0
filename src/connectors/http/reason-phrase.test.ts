import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harness, readAll } from './testing/reader-harness.js';

// A real server on loopback: nock cannot send a reason phrase of its own.
let server: http.Server;
let baseUrl: string;
beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.writeHead(401, 'Unauthorized Nguyen Van An 079215000123', { 'Content-Type': 'text/plain' });
    res.end('no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('HttpReader: the reason phrase of a refusal', () => {
  it('is the standard one, never the free text the server sent (it goes into errors, run history and logs)', async () => {
    const { reader, ctx, logs } = harness({ baseUrl });
    const err = await readAll(reader, null, ctx).then(() => null, (e: unknown) => e as Error & { code: string });
    expect(err?.code).toBe('CONNECTOR_REQUEST_REFUSED');
    expect(err?.message).toContain('HTTP 401 Unauthorized');
    expect(err?.message).not.toContain('Nguyen');
    expect(err?.message).not.toContain('079215000123');
    expect(logs.join('')).not.toContain('Nguyen');
  });
});
