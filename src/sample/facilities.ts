import { HANOI_PROVINCE_CODE, communesOfProvince } from '../reference/admin-units.js';
import { Random, WeightedTable } from './random.js';

/** Kinds of places that care for children, as inspections classify them. */
export type FacilityKind =
  /** Cơ sở trợ giúp xã hội công lập */
  | 'PUBLIC_SOCIAL_ASSISTANCE'
  /** Cơ sở trợ giúp xã hội ngoài công lập */
  | 'PRIVATE_SOCIAL_ASSISTANCE'
  /** Religious establishment registered/licensed to care for children */
  | 'RELIGIOUS_REGISTERED'
  /** Religious establishment caring for children without a licence (what inspections look for) */
  | 'RELIGIOUS_UNLICENSED';

export interface SyntheticFacility {
  /** Facility code as the inspecting department keys it. */
  code: string;
  name: string;
  kind: FacilityKind;
  /** `loai_hinh_co_so` as printed on inspection records. */
  kindLabel: string;
  /** Licence or registration number; null for an unlicensed establishment. */
  licence: string | null;
  communeCode: string;
  capacity: number;
  /** Day of year (1–330) of the yearly inspection, so each facility is inspected on its own date. */
  inspectionDayOfYear: number;
}

const KIND_LABEL: Record<FacilityKind, string> = {
  PUBLIC_SOCIAL_ASSISTANCE: 'Cơ sở trợ giúp xã hội công lập',
  PRIVATE_SOCIAL_ASSISTANCE: 'Cơ sở trợ giúp xã hội ngoài công lập',
  RELIGIOUS_REGISTERED: 'Cơ sở tôn giáo (có đăng ký nuôi dưỡng trẻ em)',
  RELIGIOUS_UNLICENSED: 'Cơ sở tôn giáo',
};

// Invented names for a simulated city; any likeness to a real establishment is accidental.
const DEFINITIONS: ReadonlyArray<{ code: string; name: string; kind: FacilityKind }> = [
  { code: 'CS-CL-01', name: 'Trung tâm Bảo trợ trẻ em Hồng Hà', kind: 'PUBLIC_SOCIAL_ASSISTANCE' },
  { code: 'CS-CL-02', name: 'Trung tâm Nuôi dưỡng trẻ em Thăng Long', kind: 'PUBLIC_SOCIAL_ASSISTANCE' },
  { code: 'CS-CL-03', name: 'Trung tâm Công tác xã hội Sông Hồng', kind: 'PUBLIC_SOCIAL_ASSISTANCE' },
  { code: 'CS-CL-04', name: 'Trung tâm Bảo trợ xã hội Tản Viên', kind: 'PUBLIC_SOCIAL_ASSISTANCE' },
  { code: 'CS-NCL-01', name: 'Mái ấm Hoa Sen', kind: 'PRIVATE_SOCIAL_ASSISTANCE' },
  { code: 'CS-NCL-02', name: 'Mái ấm Bình Minh', kind: 'PRIVATE_SOCIAL_ASSISTANCE' },
  { code: 'CS-NCL-03', name: 'Làng trẻ Tình Thương', kind: 'PRIVATE_SOCIAL_ASSISTANCE' },
  { code: 'CS-TG-01', name: 'Chùa Phúc Tâm', kind: 'RELIGIOUS_REGISTERED' },
  { code: 'CS-TG-02', name: 'Mái ấm Mân Côi', kind: 'RELIGIOUS_REGISTERED' },
  { code: 'CS-TG-03', name: 'Chùa Vân Hương', kind: 'RELIGIOUS_UNLICENSED' },
  { code: 'CS-TG-04', name: 'Tịnh thất Minh Đức', kind: 'RELIGIOUS_UNLICENSED' },
  { code: 'CS-TG-05', name: 'Nhà nguyện Ân Phúc', kind: 'RELIGIOUS_UNLICENSED' },
];

/** Where a child in care is placed, by kind (most in public centres; a tenth in unlicensed religious places). */
const PLACEMENT_WEIGHT: Record<FacilityKind, number> = {
  PUBLIC_SOCIAL_ASSISTANCE: 60,
  PRIVATE_SOCIAL_ASSISTANCE: 20,
  RELIGIOUS_REGISTERED: 10,
  RELIGIOUS_UNLICENSED: 10,
};

let cached: { list: readonly SyntheticFacility[]; byCode: ReadonlyMap<string, SyntheticFacility>; placement: WeightedTable<SyntheticFacility> } | undefined;

function build(): NonNullable<typeof cached> {
  if (cached) return cached;
  // A fixed seed: the facilities are part of the simulated city, the same whatever population seed is used.
  const rnd = new Random(20250701);
  const communes = communesOfProvince(HANOI_PROVINCE_CODE);
  const list = DEFINITIONS.map((d, i): SyntheticFacility => {
    const licence =
      d.kind === 'RELIGIOUS_UNLICENSED'
        ? null
        : d.kind === 'RELIGIOUS_REGISTERED'
          ? `${rnd.int(10, 99)}/ĐK-UBND`
          : `${rnd.int(100, 999)}/GP-SYT`;
    return {
      ...d,
      kindLabel: KIND_LABEL[d.kind],
      licence,
      communeCode: rnd.pick(communes).communeCode,
      capacity: d.kind === 'PUBLIC_SOCIAL_ASSISTANCE' ? rnd.int(120, 300) : rnd.int(15, 80),
      inspectionDayOfYear: 20 + ((i * 53) % 300),
    };
  });
  const kindCount = (k: FacilityKind): number => list.filter((f) => f.kind === k).length;
  cached = {
    list: Object.freeze(list),
    byCode: new Map(list.map((f) => [f.code, f])),
    placement: new WeightedTable(
      list,
      list.map((f) => PLACEMENT_WEIGHT[f.kind] / kindCount(f.kind)),
    ),
  };
  return cached;
}

/** The simulated care facilities of Hà Nội (public, private and religious; some unlicensed). */
export function syntheticFacilities(): readonly SyntheticFacility[] {
  return build().list;
}

export function facilityByCode(code: string): SyntheticFacility | null {
  return build().byCode.get(code) ?? null;
}

/** Table for placing a child in a facility. */
export function facilityPlacementTable(): WeightedTable<SyntheticFacility> {
  return build().placement;
}
