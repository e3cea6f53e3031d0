import { registerEnumType } from 'type-graphql';

export enum ScreeningKindEnum {
  DEVELOPMENT = 'DEVELOPMENT',
  NUTRITION = 'NUTRITION',
  HEARING = 'HEARING',
  VISION = 'VISION',
  DISABILITY = 'DISABILITY',
  NEWBORN = 'NEWBORN',
  GENERAL = 'GENERAL',
}
registerEnumType(ScreeningKindEnum, {
  name: 'ScreeningKind',
  description: 'What a health screening looked at (khám sàng lọc): development, nutrition, hearing, vision, disability, newborn, general.',
});

export enum ScreeningInterpretationEnum {
  NORMAL = 'NORMAL',
  ABNORMAL = 'ABNORMAL',
  REFERRED = 'REFERRED',
}
registerEnumType(ScreeningInterpretationEnum, {
  name: 'ScreeningInterpretation',
  description: 'The screening outcome as the health station recorded it; REFERRED means sent on for assessment or care.',
});

export enum VaccinationStatusEnum {
  COMPLETED = 'COMPLETED',
  NOT_DONE = 'NOT_DONE',
}
registerEnumType(VaccinationStatusEnum, {
  name: 'VaccinationStatus',
  description: 'COMPLETED: the dose was given. NOT_DONE: it was scheduled or recorded as not given.',
});

export enum DisabilitySeverityEnum {
  NHE = 'NHE',
  NANG = 'NANG',
  DAC_BIET_NANG = 'DAC_BIET_NANG',
}
registerEnumType(DisabilitySeverityEnum, {
  name: 'DisabilitySeverity',
  description: 'Mức độ khuyết tật (Law on Persons with Disabilities 2010): nhẹ (mild), nặng (severe), đặc biệt nặng (extremely severe).',
  valuesConfig: {
    NHE: { description: 'Khuyết tật nhẹ (mild).' },
    NANG: { description: 'Khuyết tật nặng (severe).' },
    DAC_BIET_NANG: { description: 'Khuyết tật đặc biệt nặng (extremely severe).' },
  },
});

export enum EnrolmentStatusEnum {
  STUDYING = 'STUDYING',
  DROPPED_OUT = 'DROPPED_OUT',
}
registerEnumType(EnrolmentStatusEnum, {
  name: 'EnrolmentStatus',
  description: 'Đang học (studying) or thôi học (dropped out), as the school reports it.',
});

export enum FacilityTypeEnum {
  RELIGIOUS = 'RELIGIOUS',
  PUBLIC_SOCIAL_ASSISTANCE = 'PUBLIC_SOCIAL_ASSISTANCE',
  PRIVATE_SOCIAL_ASSISTANCE = 'PRIVATE_SOCIAL_ASSISTANCE',
  OTHER = 'OTHER',
}
registerEnumType(FacilityTypeEnum, {
  name: 'FacilityType',
  description: 'Kind of care facility.',
  valuesConfig: {
    RELIGIOUS: { description: 'A religious establishment (cơ sở tôn giáo) caring for children.' },
    PUBLIC_SOCIAL_ASSISTANCE: { description: 'A public social-assistance facility (cơ sở trợ giúp xã hội công lập).' },
    PRIVATE_SOCIAL_ASSISTANCE: { description: 'A private social-assistance facility (cơ sở trợ giúp xã hội ngoài công lập).' },
    OTHER: { description: 'Any other place children are cared for.' },
  },
});

export enum FacilityLicenceStatusEnum {
  LICENSED = 'LICENSED',
  REGISTERED = 'REGISTERED',
  NONE = 'NONE',
  UNKNOWN = 'UNKNOWN',
}
registerEnumType(FacilityLicenceStatusEnum, {
  name: 'FacilityLicenceStatus',
  description: 'Whether the facility may care for children: licensed, registered with the commune, neither (must not care for children), or not known.',
  valuesConfig: {
    LICENSED: { description: 'Holds an operating licence (giấy phép hoạt động).' },
    REGISTERED: { description: 'Registered with the commune (đăng ký thành lập) without a licence.' },
    NONE: { description: 'Neither licensed nor registered: caring for children there is not allowed.' },
    UNKNOWN: { description: 'The source does not say.' },
  },
});
