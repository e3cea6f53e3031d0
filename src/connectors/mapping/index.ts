/** The declarative record mapping of connector definitions (docs/connectors.md#records-the-mapping). */
export { compileRecordMapper, type RecordMapper } from './record-mapper.js';
export {
  groupMappingSchema,
  pathSchema,
  projectionsMappingSchema,
  recordFieldsSchema,
  recordMappingSchema,
  recordMappingsSchema,
  valueSpecSchema,
  type GroupMapping,
  type RecordMapping,
  type RecordMappingInput,
  type Scalar,
  type ValueSpec,
} from './mapping.schema.js';
export { MAPPING_PROBLEM_CODES, type MappingProblemCode } from './parse-failure.js';
export { COMMUNE_CODE_UNKNOWN, COMMUNE_UNRESOLVED } from './parse-commune.js';
export { DATES_INCONSISTENT } from './date-consistency.js';
export { DATE_FORMATS, DEFAULT_DATE_FORMATS, type DateFormat } from './parse-date.js';
export { PARSE_KINDS, PROJECTION_FIELDS, RECORD_FIELDS, type ParseKind } from './field-targets.js';
export { MappingCompileError } from './value-compiler.js';
