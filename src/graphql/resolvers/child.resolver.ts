import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import { ALL_COMMUNES, inScope } from '../../auth/principal.js';
import { SensitivityClass } from '../../auth/sensitivity.js';
import { GOLDEN_FIELDS } from '../../db/entities/child.entity.js';
import { foldName } from '../../domain/vietnamese-name.js';
import { decodeChangeToken, encodeChangeToken } from '../../services/changes/child-changes.js';
import { InvalidInputError } from '../../errors/index.js';
import { communeByCode } from '../../reference/admin-units.js';
import type { ChildFilterSql } from '../../db/repositories/child-read.repository.js';
import { Sensitive, SensitiveBy } from '../authorization/sensitive.decorator.js';
import { presentedIdentityStatus, presentedNumbers } from '../authorization/identity-status.js';
import { evidenceClasses } from '../authorization/source-classes.js';
import { requirePrincipal, type GraphQLContext } from '../context.js';
import { decodeCursor, relayPage } from '../cursor.js';
import { selectedFieldNames, toldPageItems } from '../selection.js';
import { Child } from '../types/child.type.js';
import { ChildrenFilter } from '../types/children-filter.input.js';
import { Commune } from '../types/commune.type.js';
import { ChildConnection } from '../types/connection.type.js';
import { FieldOriginEnum, GoldenFieldEnum, IdentityStatusEnum, SourceSystemEnum } from '../types/enums.js';
import { FieldDisagreement } from '../types/field-disagreement.type.js';
import { FieldProvenance } from '../types/field-provenance.type.js';
import { IdentityNumber } from '../types/identity-number.type.js';
import { SourceRecord } from '../types/source-record.type.js';
import { SpecialCircumstance } from '../types/special-circumstance.type.js';

/** The years a birth-year filter may name (four digits). */
const MIN_FILTER_YEAR = 1000;
const MAX_FILTER_YEAR = 9999;
import { requireMatchableCommuneCodes } from './commune-codes.js';
import { notFound, requireIdOf } from './lookup.js';

/**
 * The classes of what each filter of `children` reveals about the children it returns: the classes of the field it
 * filters on (the `group` of a membership is PROTECTION_GROUP, whichever group, as `Child.groups` and
 * `SpecialCircumstance.group` are; where sources disagree is the evidence layer, as `Child.disagreements`). Every
 * filter must be listed: a new one does not compile without its classes.
 */
const FILTER_CLASSES: Readonly<Record<keyof ChildrenFilter, SensitivityClass | readonly SensitivityClass[]>> = {
  communeCodes: SensitivityClass.BASIC,
  sex: SensitivityClass.BASIC,
  birthYearFrom: SensitivityClass.BASIC,
  birthYearTo: SensitivityClass.BASIC,
  group: SensitivityClass.PROTECTION_GROUP,
  identityStatus: SensitivityClass.IDENTITY,
  healthScreened: SensitivityClass.HEALTH,
  inSchool: [SensitivityClass.BASIC, SensitivityClass.PROTECTION_GROUP],
  name: SensitivityClass.BASIC,
  sourcesDisagree: evidenceClasses(),
  sourcesDisagreeOn: evidenceClasses(),
  recordFlags: evidenceClasses(),
  // Which children changed together tells which source holds them (a facility inspection's run changes the children
  // in care): the evidence layer, as `Child.updatedAt` and `version` are.
  changedSince: evidenceClasses(),
};

@Resolver(() => Child)
export class ChildResolver {
  @Query(() => Child, {
    nullable: true,
    description: 'One child by hub id (`chd_…`). NOT_FOUND when the id is unknown or the child lives outside your commune scope. Needs BASIC access.',
  })
  async child(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext, @Info() info: GraphQLResolveInfo): Promise<Child> {
    const principal = requirePrincipal(ctx, SensitivityClass.BASIC, { field: 'Query.child', childId: id });
    requireIdOf('child', id, 'id');
    // Fetch the relations the query selects (and the caller may read) with the child, in one round trip,
    // and hand them to the loaders the field resolvers use.
    const selected = selectedFieldNames(info);
    const may = (field: string, cls: SensitivityClass) => selected.has(field) && principal.classes.has(cls);
    const found = await ctx.repo.childWithRelations(id, {
      sourceRecords: selected.has('sourceRecords') && evidenceClasses().every((c) => principal.classes.has(c)),
      identityNumbers: may('identityNumbers', SensitivityClass.IDENTITY),
      specialCircumstances: may('specialCircumstances', SensitivityClass.PROTECTION_GROUP),
    }, ctx.queries);
    if (!found || !inScope(principal, found.child.communeCode)) {
      // A look for a child unknown or outside your communes is audited as refused, naming the id looked for (QA:
      // probing left no trace).
      ctx.access.deny(id, 'Query.child');
      throw notFound('child', id, principal);
    }
    ctx.loaders.child.prime(id, found.child);
    if (found.sourceRecords) ctx.loaders.sourceRecordsByChild.prime(id, found.sourceRecords);
    if (found.identityNumbers) ctx.loaders.identityNumbersByChild.prime(id, found.identityNumbers);
    if (found.specialCircumstances) ctx.loaders.specialCircumstancesByChild.prime(id, found.specialCircumstances);
    return found.child as unknown as Child;
  }

  @Query(() => ChildConnection, {
    description: 'Children in your commune scope, filtered and paged (Relay). Ordered by id; pass `pageInfo.endCursor` as `after` for the next page. Needs BASIC access.',
  })
  async children(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => ChildrenFilter, { nullable: true }) filter?: ChildrenFilter | null,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Page size, 1 to the server maximum (100 by default).' }) first = 20,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Info() info?: GraphQLResolveInfo,
  ): Promise<ChildConnection> {
    const principal = requirePrincipal(ctx, SensitivityClass.BASIC, { field: 'Query.children' });
    if (!Number.isInteger(first) || first < 1 || first > ctx.maxPageSize) {
      throw new InvalidInputError(`\`first\` must be between 1 and ${ctx.maxPageSize}`, { argument: 'first' });
    }
    // A filter reveals, of every child it returns, the attribute it filters on: it needs the same access as
    // reading that attribute, and the audit records its class as read for those children.
    const revealed = new Set<SensitivityClass>();
    /** The query and filters that tell something of the children listed (named in the audit as fields read of them). */
    const telling: string[] = ['Query.children'];
    for (const key of Object.keys(FILTER_CLASSES) as Array<keyof ChildrenFilter>) {
      if (filter?.[key] == null) continue;
      const classes = ([] as SensitivityClass[]).concat(FILTER_CLASSES[key]);
      requirePrincipal(ctx, classes, { field: `Query.children(filter.${key})` });
      for (const cls of classes) revealed.add(cls);
      telling.push(`Query.children(filter.${key})`);
    }
    // ISSUED tells the child was found abandoned (presentedIdentityStatus): filtering on it needs PROTECTION_GROUP too.
    if (filter?.identityStatus === IdentityStatusEnum.ISSUED) {
      requirePrincipal(ctx, SensitivityClass.PROTECTION_GROUP, { field: 'Query.children(filter.identityStatus)' });
      revealed.add(SensitivityClass.PROTECTION_GROUP);
      if (!telling.includes('Query.children(filter.identityStatus)')) telling.push('Query.children(filter.identityStatus)');
    }
    const sqlFilter: ChildFilterSql = {
      scope: principal.communeScope === ALL_COMMUNES ? null : principal.communeScope,
      communeCodes: filter?.communeCodes,
      sex: filter?.sex,
      birthYearFrom: filter?.birthYearFrom,
      birthYearTo: filter?.birthYearTo,
      groupClause: filter?.group,
      // As the caller is told the status: a number issued is VERIFIED to a caller without PROTECTION_GROUP, and its
      // filter finds it as such (QA: VERIFIED left out the children found abandoned).
      identityStatuses: filter?.identityStatus == null ? null
        : filter.identityStatus === IdentityStatusEnum.VERIFIED && !principal.classes.has(SensitivityClass.PROTECTION_GROUP)
          ? [IdentityStatusEnum.VERIFIED, IdentityStatusEnum.ISSUED]
          : [filter.identityStatus],
      healthScreened: filter?.healthScreened,
      inSchool: filter?.inSchool,
      nameWords: filter?.name != null ? nameWords(filter.name) : null,
      sourcesDisagree: filter?.sourcesDisagree,
      sourcesDisagreeOn: filter?.sourcesDisagreeOn,
      recordFlags: filter?.recordFlags,
      changedSince: filter?.changedSince != null ? changedSinceXid(filter.changedSince) : null,
    };
    // An empty list would name no field: it would list every child, as if they all disagreed.
    if (filter?.sourcesDisagreeOn?.length === 0) {
      throw new InvalidInputError('`filter.sourcesDisagreeOn` needs at least one field (or use `sourcesDisagree: true` for any)', { argument: 'filter.sourcesDisagreeOn' });
    }
    if (filter?.recordFlags != null && (filter.recordFlags.length === 0 || filter.recordFlags.some((c) => !/^[A-Z][A-Z0-9_]{1,63}$/.test(c)))) {
      throw new InvalidInputError('`filter.recordFlags` needs at least one flag code, as `RecordFlag.code` writes it (IDENTITY_NUMBER_HELD_BY_ANOTHER_CHILD)', { argument: 'filter.recordFlags' });
    }
    // An empty list would name no commune: it listed every child in scope, as if no filter were given (QA: an app's
    // empty commune picker showed everything).
    if (filter?.communeCodes?.length === 0) {
      throw new InvalidInputError('`filter.communeCodes` needs at least one commune code (leave it out for every commune in your scope)', { argument: 'filter.communeCodes' });
    }
    if (filter?.communeCodes?.some((c) => !/^\d{5}$/.test(c))) {
      throw new InvalidInputError('`filter.communeCodes` must be 5-digit commune codes', { argument: 'filter.communeCodes' });
    }
    await requireMatchableCommuneCodes(filter?.communeCodes, 'filter.communeCodes', principal.communeScope === ALL_COMMUNES, (codes) => ctx.repo.childCommuneCodes(codes));
    // QA: a year outside what PostgreSQL's year column holds was an internal error.
    for (const name of ['birthYearFrom', 'birthYearTo'] as const) {
      const year = filter?.[name];
      if (year != null && (year < MIN_FILTER_YEAR || year > MAX_FILTER_YEAR)) {
        throw new InvalidInputError(`\`filter.${name}\` must be a year from ${MIN_FILTER_YEAR} to ${MAX_FILTER_YEAR}; got ${year}`, { argument: `filter.${name}` });
      }
    }
    // QA: a range ending before it starts answered 0 children, as if there were none.
    if (filter?.birthYearFrom != null && filter.birthYearTo != null && filter.birthYearFrom > filter.birthYearTo) {
      throw new InvalidInputError(`\`filter.birthYearFrom\` (${filter.birthYearFrom}) is after \`filter.birthYearTo\` (${filter.birthYearTo})`, { argument: 'filter.birthYearFrom' });
    }
    // A token past every transaction this database has run was made elsewhere: by another hub, or by this one before its
    // database was restored from a backup. It would list nothing until the counter passed it, and a client taking that
    // pull's token would lose every change between (QA).
    if (sqlFilter.changedSince != null && await ctx.repo.changeTokenAhead(sqlFilter.changedSince, ctx.queries)) {
      throw new InvalidInputError('`filter.changedSince` is a token this database has not given: one from another hub, or from before its database '
        + 'was restored from a backup. Pull everything again (leave `changedSince` out) and keep that pull\'s token', { argument: 'filter.changedSince' });
    }
    const afterId = after ? decodeCursor(after, 'chd') : null;
    // Taken before the page is read: whatever the page misses, having changed after this, the next pull finds.
    const changeToken = info && selectedFieldNames(info).has('changeToken') ? encodeChangeToken(await ctx.repo.changeTokenXmin(ctx.queries)) : null;
    const rows = await ctx.repo.childrenPage(sqlFilter, first + 1, afterId, ctx.queries);
    const page = rows.slice(0, first) as unknown as Child[];
    // A page names its children (their ids, in cursors too): BASIC, and what its filter reveals of them (QA: a
    // page of cursors alone was not audited). A page by name tells of its children whatever is read of it (QA:
    // `hasNextPage` alone said whether two children of that name are there).
    const byName = Boolean(sqlFilter.nameWords?.length);
    // What the page tells of which children match (see toldPageItems: with `hasNextPage`, the next page's first too).
    const told: ReadonlyArray<{ id: string }> = info ? toldPageItems(info, page, rows as unknown as Child[], byName) : page;
    for (const child of told) {
      ctx.access.read(child.id, SensitivityClass.BASIC);
      for (const cls of revealed) ctx.access.read(child.id, cls);
      for (const path of telling) ctx.access.readField(child.id, path);
    }
    return { ...relayPage(page, rows.length > first, (node) => node.id), changeToken, filterKey: sqlFilter, revealed: [...revealed], telling };
  }

  @Sensitive(SensitivityClass.IDENTITY)
  @FieldResolver(() => IdentityStatusEnum, {
    nullable: true,
    description: 'Where the child stands with the personal identification number. ISSUED (a number issued for a child found abandoned) '
      + 'is told only with PROTECTION_GROUP too; without it, such a number is VERIFIED.',
  })
  identityStatus(@Root() child: Child, @Ctx() ctx: GraphQLContext): IdentityStatusEnum | null {
    return presentedIdentityStatus(child.identityStatus ?? null, requirePrincipal(ctx).classes);
  }

  @SensitiveBy(SensitivityClass.PROVENANCE, evidenceClasses)
  @FieldResolver(() => [SourceRecord], {
    nullable: true,
    description: 'The source records linked to this child: the evidence behind every field. PROVENANCE, PROTECTION_GROUP and ADOPTION, for '
      + 'every child: a facility inspection\'s records tell that the child is in care, the justice register\'s may be its adoptions\' register.',
  })
  async sourceRecords(@Root() child: Child, @Ctx() ctx: GraphQLContext): Promise<SourceRecord[]> {
    return (await ctx.loaders.sourceRecordsByChild.load(child.id)) as unknown as SourceRecord[];
  }

  @Sensitive(SensitivityClass.IDENTITY)
  @FieldResolver(() => [IdentityNumber], { nullable: true, description: 'Every personal identification number the child has carried, oldest first.' })
  async identityNumbers(@Root() child: Child, @Ctx() ctx: GraphQLContext): Promise<IdentityNumber[]> {
    return presentedNumbers((await ctx.loaders.identityNumbersByChild.load(child.id)) as unknown as IdentityNumber[], requirePrincipal(ctx).classes);
  }

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @FieldResolver(() => [SpecialCircumstance], {
    nullable: true,
    description: 'Group memberships with the source record that gives the evidence. Memberships that have ended are listed only with ADOPTION '
      + 'too: an adoption ends them, on the day it was registered.',
  })
  async specialCircumstances(@Root() child: Child, @Ctx() ctx: GraphQLContext): Promise<SpecialCircumstance[]> {
    const memberships = (await ctx.loaders.specialCircumstancesByChild.load(child.id)) as unknown as SpecialCircumstance[];
    // Without ADOPTION, the memberships still running (QA: the ended ones, with their end date, were the adopted
    // children and their adoption dates). Every ended one alike, whatever ended it.
    return requirePrincipal(ctx).classes.has(SensitivityClass.ADOPTION) ? memberships : memberships.filter((m) => m.endedOn == null);
  }

  @SensitiveBy(SensitivityClass.PROVENANCE, evidenceClasses)
  @FieldResolver(() => [FieldProvenance], {
    nullable: true,
    description: 'For each golden field, the source record that supplied the current value. PROVENANCE, PROTECTION_GROUP and ADOPTION, for '
      + 'every child, as `sourceRecords`.',
  })
  provenance(@Root() child: Child & { identityVerifiedAt?: Date | null }): FieldProvenance[] {
    const out: FieldProvenance[] = Object.entries(child.provenanceMap ?? {}).map(([field, p]) => ({
      field: field as FieldProvenance['field'],
      origin: FieldOriginEnum.SOURCE_RECORD,
      sourceRecordId: p!.sourceRecordId,
      sourceSystem: p!.sourceSystem as SourceSystemEnum,
      chosenAt: new Date(p!.chosenAt),
    }));
    // A number no source gives that the child keeps: the population database found it or issued it (QA: the number
    // had no source at all in `provenance`).
    if (child.identityNumber && !child.provenanceMap?.identityNumber && child.identityVerifiedAt) {
      out.push({ field: GoldenFieldEnum.identityNumber, origin: FieldOriginEnum.POPULATION_DATABASE, sourceRecordId: null, sourceSystem: null, chosenAt: new Date(child.identityVerifiedAt) });
    }
    return out;
  }

  // QA: where a child's sources disagreed, survivorship picked one value and nothing showed it.
  @SensitiveBy(SensitivityClass.PROVENANCE, evidenceClasses)
  @FieldResolver(() => [FieldDisagreement], {
    nullable: true,
    description: 'The golden fields the child\'s linked source records give genuinely different values for, each with the records on each side '
      + '(ids and systems; the values are in `sourceRecords`) and the side the unified record shows; empty when they agree. A `communeCode` '
      + 'disagreement matters most: the child is shown in the commune of the most recently observed record, so the other commune\'s officers no '
      + 'longer see the child, and a steward should confirm the move. Kept by the golden-record stage when it builds the child (a child not rebuilt '
      + 'since this was added shows none until its next rebuild). PROVENANCE, PROTECTION_GROUP and ADOPTION, for every child, as `provenance`.',
  })
  disagreements(@Root() child: Child): FieldDisagreement[] {
    const stored = child.disagreementMap;
    if (!stored) return [];
    const out: FieldDisagreement[] = [];
    for (const field of GOLDEN_FIELDS) {
      const sides = stored[field];
      if (!sides) continue;
      const chosen = child.provenanceMap?.[field]?.sourceRecordId;
      out.push({
        field: field as GoldenFieldEnum,
        sides: sides.map((records) => ({
          chosen: records.some((r) => r.sourceRecordId === chosen),
          sourceRecords: records.map((r) => ({ sourceRecordId: r.sourceRecordId, sourceSystem: r.sourceSystem as SourceSystemEnum })),
        })),
      });
    }
    return out;
  }

  @Sensitive(SensitivityClass.BASIC)
  @FieldResolver(() => Commune, { nullable: true, description: 'The commune of residence, resolved against the 2025 administrative units.' })
  commune(@Root() child: Child): Commune | null {
    const unit = child.communeCode ? communeByCode(child.communeCode) : undefined;
    return unit ? { code: unit.communeCode, name: unit.communeName, type: unit.communeType, provinceCode: unit.provinceCode } : null;
  }
}

function changedSinceXid(token: string): string {
  const xid = decodeChangeToken(token);
  if (xid == null) {
    throw new InvalidInputError('`filter.changedSince` must be a change token, as `ChildConnection.changeToken` gives it (e.g. "chg1-1234")',
      { argument: 'filter.changedSince' });
  }
  return xid;
}

function nameWords(input: string): string[] {
  const words = foldName(input).split(' ').filter(Boolean);
  // Letters (any script) and digits: `%_` or `-` alone is no word of a name, and found nothing (QA).
  if ((words.join('').match(/[\p{L}\p{N}]/gu)?.length ?? 0) < 2) throw new InvalidInputError('`filter.name` needs at least 2 letters', { argument: 'filter.name' });
  if (words.some((w) => !/[\p{L}\p{N}]/u.test(w))) {
    throw new InvalidInputError('`filter.name`: each word needs a letter (a word of punctuation alone is no part of a name)', { argument: 'filter.name' });
  }
  if (words.length > 8) throw new InvalidInputError('`filter.name` takes at most 8 words', { argument: 'filter.name' });
  return words;
}
