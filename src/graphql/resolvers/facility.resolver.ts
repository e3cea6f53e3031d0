import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { SensitivityClass } from '../../auth/sensitivity.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../../errors/index.js';
import { communeByCode } from '../../reference/admin-units.js';
import { requireMatchableCommuneCodes } from './commune-codes.js';
import { requirePrincipal, type GraphQLContext } from '../context.js';
import { decodeCursor, relayPage } from '../cursor.js';
import { Commune } from '../types/commune.type.js';
import { FacilityConnection } from '../types/projections/facility-connection.type.js';
import { Facility } from '../types/projections/facility.type.js';
import { Inspection } from '../types/projections/inspection.type.js';
import { Placement } from '../types/projections/placement.type.js';
import { FacilityLicenceStatusEnum, FacilityTypeEnum } from '../types/projections/projection-enums.js';
import { ProjectionSource } from '../types/projections/projection-source.type.js';
import { projectionLoaders } from '../types/projections/projection-loaders.js';

/**
 * Care facilities and their inspections (facility data, not child personal data: any child-protection
 * role may read them), and the children placed there (PROTECTION_GROUP, scoped and audited per child).
 */
@Resolver(() => Facility)
export class FacilityResolver {
  @Query(() => Facility, { nullable: true, description: 'One facility by its code (mã cơ sở). NOT_FOUND when unknown. Needs BASIC access.' })
  async facility(@Arg('code', () => String) code: string, @Ctx() ctx: GraphQLContext): Promise<Facility> {
    requirePrincipal(ctx, SensitivityClass.BASIC, { field: 'Query.facility' });
    const row = await projectionLoaders(ctx).facility.load(code);
    if (!row) throw new NotFoundError(`No facility ${code}`, { facilityCode: code });
    return row as unknown as Facility;
  }

  @Query(() => FacilityConnection, {
    description: 'Facilities, filtered and paged (Relay), ordered by id. E.g. religious establishments without a licence: `type: RELIGIOUS, licenceStatus: NONE`. Needs BASIC access.',
  })
  async facilities(
    @Ctx() ctx: GraphQLContext,
    @Arg('communeCodes', () => [String], { nullable: true, description: '2025 commune codes (5 digits) the facilities are in; at least one (leave it out for every commune). A code of no 2025 commune is refused (BAD_USER_INPUT), except a former code a facility is kept under.' }) communeCodes?: string[] | null,
    @Arg('licenceStatus', () => FacilityLicenceStatusEnum, { nullable: true }) licenceStatus?: FacilityLicenceStatusEnum | null,
    @Arg('type', () => FacilityTypeEnum, { nullable: true }) type?: FacilityTypeEnum | null,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Page size, 1 to the server maximum (100 by default).' }) first = 20,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<FacilityConnection> {
    requirePrincipal(ctx, SensitivityClass.BASIC, { field: 'Query.facilities' });
    if (!Number.isInteger(first) || first < 1 || first > ctx.maxPageSize) {
      throw new InvalidInputError(`\`first\` must be between 1 and ${ctx.maxPageSize}`, { argument: 'first' });
    }
    if (communeCodes?.length === 0) {
      throw new InvalidInputError('`communeCodes` needs at least one commune code (leave it out for facilities of every commune)', { argument: 'communeCodes' });
    }
    if (communeCodes?.some((c) => !/^\d{5}$/.test(c))) {
      throw new InvalidInputError('`communeCodes` must be 5-digit commune codes', { argument: 'communeCodes' });
    }
    await requireMatchableCommuneCodes(communeCodes, 'communeCodes', true, (codes) => projectionLoaders(ctx).repo.facilityCommuneCodes(codes));
    const afterId = after ? decodeCursor(after, 'fac') : null;
    const { repo, facility } = projectionLoaders(ctx);
    const filter = { communeCodes, licenceStatus, type };
    const rows = await repo.facilitiesPage(filter, first + 1, afterId, ctx.queries);
    for (const r of rows) facility.prime(r.code as string, r);
    const page = rows.slice(0, first) as unknown as Facility[];
    return { ...relayPage(page, rows.length > first, (node) => node.id), filter };
  }

  @FieldResolver(() => Commune, { nullable: true, description: 'The commune, resolved against the 2025 administrative units.' })
  commune(@Root() facility: Facility): Commune | null {
    const unit = facility.communeCode ? communeByCode(facility.communeCode) : undefined;
    return unit ? { code: unit.communeCode, name: unit.communeName, type: unit.communeType, provinceCode: unit.provinceCode } : null;
  }

  @FieldResolver(() => ProjectionSource, { nullable: true, description: 'The facility record that gave the facility\'s facts: the one whose inspection of it is the latest (`sourceUpdatedAt`: that inspection\'s date).' })
  source(@Root() facility: Facility): ProjectionSource | null {
    if (!facility.sourceSystem || !facility.externalId) return null;
    return {
      sourceSystem: facility.sourceSystem as ProjectionSource['sourceSystem'], externalId: facility.externalId, recordId: null, absentFromSourceSince: null,
      fetchedAt: facility.updatedAt, sourceUpdatedAt: facility.sourceUpdatedAt ?? null,
    };
  }

  @FieldResolver(() => [Inspection], { description: 'Inspections of the facility, newest first.' })
  async inspections(@Root() facility: Facility, @Ctx() ctx: GraphQLContext): Promise<Inspection[]> {
    return (await projectionLoaders(ctx).inspectionsByFacility.load(facility.code)) as unknown as Inspection[];
  }

  @FieldResolver(() => [Placement], {
    nullable: true,
    description: 'Children placed in or seen at the facility, in your commune scope: one per inspection that listed the child (a child listed by several inspections appears once per inspection: see `inspectionReportNumber`), oldest first (by date taken in, else date seen; undated last). PROTECTION_GROUP: null with FORBIDDEN when your roles do not grant it; each child released is audited.',
  })
  async placements(@Root() facility: Facility, @Ctx() ctx: GraphQLContext): Promise<Placement[]> {
    const principal = requirePrincipal(ctx);
    if (!principal.classes.has(SensitivityClass.PROTECTION_GROUP)) {
      ctx.access.deny(undefined, 'Facility.placements');
      throw new ForbiddenError(`Facility.placements is ${SensitivityClass.PROTECTION_GROUP} data, which your roles do not grant`);
    }
    const placements = (await projectionLoaders(ctx).placementsByFacility.load(facility.code)) as unknown as Placement[];
    // The list itself tells how many of your communes' children the facility holds, whatever fields are asked of it
    // (security QA: `placements { __typename }` released the count unaudited): each child listed is audited here.
    for (const p of placements) {
      ctx.access.read(p.childId, SensitivityClass.PROTECTION_GROUP);
      ctx.access.readField(p.childId, 'Facility.placements');
    }
    return placements;
  }
}
