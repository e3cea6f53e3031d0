/**
 * Opaque page tokens for the simulators' paging. A token holds the search and the key of the last record
 * served, and record keys are ids (student codes, health-record ids) that must not show in URLs and logs:
 * so it is encrypted and authenticated (AES-256-GCM), and a token the server did not issue (edited,
 * truncated, from another population) is refused instead of misread. The key comes from the population seed
 * and the IV from the content (deterministic, as SIV does), so a restarted simulator with the same seed
 * accepts its old tokens — as a resumed sync needs — and the same page always gets the same token.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class PageTokenCodec {
  private readonly encryptionKey: Buffer;
  private readonly ivKey: Buffer;

  constructor(seed: number, purpose: string) {
    const root = createHmac('sha256', 'childhub-simulator').update(`${purpose}:${seed}`).digest();
    this.encryptionKey = createHmac('sha256', root).update('encrypt').digest();
    this.ivKey = createHmac('sha256', root).update('iv').digest();
  }

  encode(value: unknown): string {
    const plain = Buffer.from(JSON.stringify(value), 'utf8');
    const iv = createHmac('sha256', this.ivKey).update(plain).digest().subarray(0, IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The value, or null when the token is not one this codec issued. */
  decode(token: string): unknown {
    const raw = Buffer.from(token, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as unknown;
    } catch {
      return null;
    }
  }
}
