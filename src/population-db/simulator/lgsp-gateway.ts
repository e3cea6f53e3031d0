import { randomBytes } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { BULK_ELEMENTS, CITIZEN_FIELDS, ERROR_TEXT_ELEMENT, NAMESPACE, type OperationName } from '../protocol.js';
import type { SoapElement } from './population-db.simulator.js';

/**
 * The simulator's LGSP face (wire format: `../lgsp.protocol.ts`): JSON requests are turned into the SOAP
 * operation element the registry service already answers, and its SOAP answer back into JSON. So both
 * faces share one registry, one quota and one set of faults.
 */

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function element(local: string, text: string, children: SoapElement[] = []): SoapElement {
  return { ns: NAMESPACE, local, children, text };
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function scalar(v: unknown): string {
  return typeof v === 'string' ? v.trim() : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

/** A body field: `danhSachCongDan: [{…}]` → `<DanhSachCongDan><CongDan>…</CongDan>…`, scalars → text. */
function fieldElement(key: string, value: unknown): SoapElement {
  const local = upperFirst(key);
  if (Array.isArray(value)) {
    return element(local, '', value.filter(isRecord).map((item) => element(BULK_ELEMENTS.item, '', Object.entries(item).map(([k, v]) => fieldElement(k, v)))));
  }
  if (isRecord(value)) return element(local, '', Object.entries(value).map(([k, v]) => fieldElement(k, v)));
  return element(local, scalar(value));
}

/**
 * `{ header, body }` → the operation element. The OAuth client stands for the integration (`MaTichHop`).
 * Returns null when the request is not an LGSP envelope.
 */
export function lgspRequestToElement(operation: OperationName, json: unknown, clientId: string): SoapElement | null {
  if (!isRecord(json) || !isRecord(json['header']) || !isRecord(json['body'])) return null;
  const h = json['header'];
  const officer = isRecord(h['officer']) ? h['officer'] : {};
  const children: SoapElement[] = [
    element('MaYeuCau', scalar(h['requestId'])),
    element('MaDonVi', scalar(h['callerCode'])),
    element('MaTichHop', clientId),
    element('CanBo', '', [
      element('SoDinhDanh', scalar(officer['id'])),
      element('HoVaTen', scalar(officer['name'])),
      element('DonVi', scalar(officer['unit'])),
    ]),
    element('MucDich', scalar(h['purpose'])),
    element('SoHoSo', scalar(h['caseRef'])),
    ...Object.entries(json['body']).map(([k, v]) => fieldElement(k, v)),
  ];
  return element(operation, '', children);
}

const answerParser = new XMLParser({
  removeNSPrefix: true,
  parseTagValue: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
  trimValues: true,
  isArray: (name) => name === 'CongDan' || name === BULK_ELEMENTS.result,
});

function fieldList(v: unknown): string[] {
  return scalar(v)
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
}

function citizens(collection: unknown): Json[] | undefined {
  if (!isRecord(collection) || !Array.isArray(collection['CongDan'])) return undefined;
  return collection['CongDan'].filter(isRecord).map((c) => {
    const out: Json = {};
    for (const [k, v] of Object.entries(c)) out[lowerFirst(k)] = k === CITIZEN_FIELDS.mismatched ? fieldList(v) : v;
    return out;
  });
}

/** The registry service's SOAP answer → `{ header, body }` JSON text. */
export function soapAnswerToLgsp(operation: OperationName, xml: string, now: Date): string {
  const parsed = answerParser.parse(xml) as { Envelope?: { Body?: Json } };
  const answer = parsed.Envelope?.Body?.[`${operation}Response`];
  const a: Json = isRecord(answer) ? answer : {};
  const body: Json = { ketQua: scalar(a['KetQua']) };
  if (a[ERROR_TEXT_ELEMENT] !== undefined) body['moTaLoi'] = scalar(a[ERROR_TEXT_ELEMENT]);
  if (a[CITIZEN_FIELDS.mismatched] !== undefined) body['truongKhongKhop'] = fieldList(a[CITIZEN_FIELDS.mismatched]);
  const found = citizens(a['CongdanCollection']);
  if (found) body['congDan'] = found;
  if (a[BULK_ELEMENTS.bulkId] !== undefined) body['maYeuCauDanhSach'] = scalar(a[BULK_ELEMENTS.bulkId]);
  if (a[BULK_ELEMENTS.itemCount] !== undefined) body['soLuong'] = Number(a[BULK_ELEMENTS.itemCount]);
  if (a[BULK_ELEMENTS.state] !== undefined) body['trangThai'] = scalar(a[BULK_ELEMENTS.state]);
  const list = a[BULK_ELEMENTS.results];
  const results = isRecord(list) ? list[BULK_ELEMENTS.result] : undefined;
  if (Array.isArray(results)) {
    body['danhSachKetQua'] = results.filter(isRecord).map((item) => ({
      chiSo: Number(item[BULK_ELEMENTS.index]),
      ketQua: scalar(item['KetQua']),
      ...(item[ERROR_TEXT_ELEMENT] !== undefined ? { moTaLoi: scalar(item[ERROR_TEXT_ELEMENT]) } : {}),
      congDan: citizens(item['CongdanCollection']) ?? [],
    }));
  }
  return JSON.stringify({ header: { requestId: scalar(a['MaYeuCau']), timestamp: now.toISOString() }, body });
}

/** Bearer tokens the simulator issued, with their expiry (ms, `Date.now()` clock). */
export class LgspTokens {
  private readonly tokens = new Map<string, number>();

  constructor(private readonly lifetimeS: number) {}

  issue(): { access_token: string; token_type: 'Bearer'; expires_in: number } {
    const now = Date.now();
    // Expired tokens go when new ones are issued: the map stays as small as the clients' churn.
    for (const [t, until] of this.tokens) if (until <= now) this.tokens.delete(t);
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, now + this.lifetimeS * 1000);
    return { access_token: token, token_type: 'Bearer', expires_in: this.lifetimeS };
  }

  valid(token: string): boolean {
    const until = this.tokens.get(token);
    return until !== undefined && until > Date.now();
  }

  /** Forgets every token (tests: a platform revoking tokens). */
  revokeAll(): void {
    this.tokens.clear();
  }
}
