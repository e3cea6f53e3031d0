/**
 * The national population database (Cơ sở dữ liệu quốc gia về dân cư) as agencies meet it through a
 * data-exchange platform: SOAP 1.1, namespace `http://dancuquocgia.bca`. This file is the one description
 * of the wire format, shared by the SOAP transport and the project's simulator.
 *
 * Request body (inside soap:Body), e.g. verification:
 *   <dc:XacThucThongTinCongDan xmlns:dc="http://dancuquocgia.bca">
 *     <dc:MaYeuCau>…</dc:MaYeuCau>            unique request id (we use the integration-log id)
 *     <dc:MaDonVi>…</dc:MaDonVi>              caller (agency unit) code
 *     <dc:MaTichHop>…</dc:MaTichHop>          integration code issued by the platform
 *     <dc:CanBo><dc:SoDinhDanh>…</dc:SoDinhDanh><dc:HoVaTen>…</dc:HoVaTen><dc:DonVi>…</dc:DonVi></dc:CanBo>
 *     <dc:MucDich>…</dc:MucDich>              purpose code
 *     <dc:SoHoSo>…</dc:SoHoSo>                case reference
 *     <dc:SoDinhDanh>001215000123</dc:SoDinhDanh>
 *     <dc:HoVaTen>NGUYEN THI THU HA</dc:HoVaTen>   upper-case, no diacritics
 *     <dc:NgayThangNamSinh>20150302</dc:NgayThangNamSinh>   yyyyMMdd, or yyyy when only the year is known
 *   </dc:XacThucThongTinCongDan>
 * Lookup (`TraCuuThongTinCongDan`) has the same fields; SoDinhDanh may be empty to look up by name + birth.
 * Its answer is the same for a number held since birth registration and one issued a moment ago (no issuance
 * date is returned, nothing is pushed): whether a number was issued is for the caller to judge.
 *
 * Responses: <dc:XacThucThongTinCongDanResponse><dc:MaYeuCau/><dc:KetQua>…</dc:KetQua>
 *   <dc:CongdanCollection><dc:CongDan>…</dc:CongDan>…</dc:CongdanCollection></…Response>
 * with KetQua one of RESULT_CODES, and each CongDan carrying CITIZEN_FIELDS.
 * Faults: standard soap:Fault with faultcode/faultstring; HTTP 429 (with Retry-After) when over quota.
 */
export const NAMESPACE = 'http://dancuquocgia.bca';
export const SOAP_ENV_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/';

export const OPERATIONS = {
  verify: 'XacThucThongTinCongDan',
  lookup: 'TraCuuThongTinCongDan',
  submitBulk: 'GuiYeuCauDanhSach',
  bulkStatus: 'GetRequestStatus',
  bulkResult: 'GetRequestResult',
} as const;
export type OperationName = (typeof OPERATIONS)[keyof typeof OPERATIONS];

/** `KetQua` values. */
export const RESULT_CODES = {
  /** The citizen exists and every given field matches. */
  match: '00',
  /** The number exists but some given fields differ (the response says which in `TruongKhongKhop`). */
  mismatch: '01',
  /** No citizen with that number (verify) or those details (lookup). */
  notFound: '02',
  /** The request is malformed or not allowed (permanent: do not retry). */
  rejected: '99',
} as const;

/**
 * Elements of a `CongDan`. Responses also carry religion, ethnicity, blood group and addresses: the
 * adapter reads only what reconciliation needs and never stores or logs the raw response.
 */
export const CITIZEN_FIELDS = {
  number: 'SoDinhDanh',
  familyName: 'Ho',
  middleName: 'ChuDem',
  givenName: 'Ten',
  sex: 'GioiTinh', // '1' male, '2' female
  birthDate: 'NgayThangNamSinh', // yyyyMMdd or yyyy
  ethnicity: 'DanToc',
  religion: 'TonGiao',
  provinceCode: 'MaTinh',
  communeCode: 'MaXa',
  mismatched: 'TruongKhongKhop', // comma-separated field names that did not match: HoVaTen, NgayThangNamSinh, GioiTinh
} as const;

/** Elements of bulk (list) requests: the submitted list, the request's id and state, and per-item results. */
export const BULK_ELEMENTS = {
  list: 'DanhSachCongDan',
  item: 'CongDan',
  index: 'ChiSo',
  itemCount: 'SoLuong',
  bulkId: 'MaYeuCauDanhSach',
  state: 'TrangThai',
  results: 'DanhSachKetQua',
  result: 'KetQuaCongDan',
} as const;

/** Element carrying a human-readable reason with `KetQua` 99 (informative; never copied into errors). */
export const ERROR_TEXT_ELEMENT = 'MoTaLoi';

/** Bulk request states (`GetRequestStatus`). */
export const BULK_STATES = ['DANG_XU_LY', 'HOAN_THANH', 'LOI'] as const;

/** Headers of the HTTP Basic + signature authentication seen in agency clients. */
export const AUTH_HEADERS = {
  timestamp: 'Timestamp',
  apiKey: 'X-Api-Key',
} as const;
