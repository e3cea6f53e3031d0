import type { OperationName } from './protocol.js';

/**
 * The population database as a provincial integration platform (LGSP) offers it: the registry's operations
 * (`protocol.ts`) as JSON over HTTPS, behind the platform's OAuth 2.0 gateway. This file is the one
 * description of that wire format, shared by the LGSP transport and the project's simulator.
 *
 * Token (RFC 6749 §4.4, client credentials):
 *   POST <POPULATION_DB_TOKEN_URL>
 *   Authorization: Basic base64(urlencode(clientId) + ":" + urlencode(clientSecret))
 *   Content-Type: application/x-www-form-urlencoded
 *   grant_type=client_credentials[&scope=<POPULATION_DB_TOKEN_SCOPE>]
 *   → 200 { "access_token": "…", "token_type": "Bearer", "expires_in": 3600 }
 *   Refusals: 400/401 { "error": "invalid_client" | "invalid_scope" | … } (RFC 6749 §5.2).
 *
 * Call: POST <POPULATION_DB_URL>/<operation> (operation names of `protocol.ts`, e.g. `…/XacThucThongTinCongDan`)
 *   Authorization: Bearer <access_token>
 *   Content-Type: application/json; charset=utf-8
 *   {
 *     "header": {
 *       "requestId": "…",                 unique per call (MaYeuCau); echoed in the answer
 *       "callerCode": "SLDTBXH-HN",       agency unit (MaDonVi); the OAuth client stands for the integration
 *       "officer": { "id": "CB-0042", "name": "Trần Văn Bình", "unit": "so-ldtbxh-ha-noi" },
 *       "purpose": "CHILD-ID-RECONCILIATION",
 *       "caseRef": "HS-2026-0001",
 *       "timestamp": "2026-11-25T08:30:05.123Z"   ISO 8601, UTC
 *     },
 *     "body": { …the operation's fields… }
 *   }
 * Operation fields are the SOAP element names in lower camel case, with the same values:
 *   verify, lookup:  { "soDinhDanh": "001215000123", "hoVaTen": "NGUYEN THI THU HA", "ngayThangNamSinh": "20150302" }
 *   submit bulk:     { "danhSachCongDan": [ { "chiSo": 0, "soDinhDanh": "…", "hoVaTen": "…", "ngayThangNamSinh": "…" }, … ] }
 *   status, result:  { "maYeuCauDanhSach": "…" }
 *
 * Answer: 200 { "header": { "requestId": "…", "timestamp": "…" }, "body": { … } } with body fields
 *   "ketQua"            "00" | "01" | "02" | "99" (a string: RESULT_CODES)
 *   "moTaLoi"           text with 99 (informative; never copied into errors)
 *   "congDan"           [ { "soDinhDanh", "ho", "chuDem", "ten", "gioiTinh": "1"|"2", "ngayThangNamSinh": "yyyyMMdd"|"yyyy",
 *                          "truongKhongKhop": ["HoVaTen", …], …religion, ethnicity, addresses: never read } ]
 *   "truongKhongKhop"   [ … ] (also accepted beside `congDan`)
 *   "maYeuCauDanhSach", "soLuong", "trangThai" ("DANG_XU_LY" | "HOAN_THANH" | "LOI")
 *   "danhSachKetQua"    [ { "chiSo": 0, "ketQua": "00"|"02"|"99", "congDan": [ … ] } ]
 *
 * Errors: 429 with `Retry-After` (quota); 5xx (platform or registry down); 401 (token expired or revoked:
 * the client fetches a new token and tries once more); 403 (this client may not call the operation); other
 * 4xx (refused). Error bodies may carry { "error": { "code": "…", "message": "…" } }: the code is kept, the
 * message never read (platforms quote the request in it).
 */

/** Path of an operation under the platform's base URL. */
export function lgspOperationPath(operation: OperationName): string {
  return `/${operation}`;
}

/** `POST <base>/<operation>`; a trailing slash on the base is ignored. */
export function lgspOperationUrl(baseUrl: string, operation: OperationName): string {
  return baseUrl.replace(/\/+$/, '') + lgspOperationPath(operation);
}

/** Error codes kept from error bodies: short identifiers only, so no request content can ride along. */
export const LGSP_ERROR_CODE = /^[A-Za-z0-9_.:-]{1,64}$/;
