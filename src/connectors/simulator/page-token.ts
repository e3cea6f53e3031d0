/**
 * Opaque page tokens for the simulators' paging: base64url JSON with a short HMAC, so that a token the
 * server did not issue (edited, truncated, from another population) is refused instead of misread. The
 * key comes from the population seed: a restarted simulator with the same seed accepts its old tokens, as a
 * resumed sync needs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export class PageTokenCodec {
  private readonly key: Buffer;

  constructor(seed: number, purpose: string) {
    this.key = createHmac('sha256', 'childhub-simulator').update(`${purpose}:${seed}`).digest();
  }

  encode(value: unknown): string {
    const body = Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The value, or null when the token is not one this codec issued. */
  decode(token: string): unknown {
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return null;
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'utf8');
    const expected = Buffer.from(this.mac(body), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
    } catch {
      return null;
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, 12).toString('base64url');
  }
}
