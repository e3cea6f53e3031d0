import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { inScope } from '../../auth/principal.js';
import { SensitivityClass } from '../../auth/sensitivity.js';
import type { RecordProjectionKind } from '../../services/projections/projection-tables.js';
import { Sensitive } from '../authorization/sensitive.decorator.js';
import { requirePrincipal, type GraphQLContext } from '../context.js';
import { Child } from '../types/child.type.js';
import { AdoptionRegistration } from '../types/projections/adoption-registration.type.js';
import { BirthRegistration } from '../types/projections/birth-registration.type.js';
import { Disability } from '../types/projections/disability.type.js';
import { Facility } from '../types/projections/facility.type.js';
import { HealthScreening } from '../types/projections/health-screening.type.js';
import { Placement } from '../types/projections/placement.type.js';
import { projectionKey, projectionLoaders } from '../types/projections/projection-loaders.js';
import { SchoolEnrolment } from '../types/projections/school-enrolment.type.js';
import { Vaccination } from '../types/projections/vaccination.type.js';

async function load<T>(ctx: GraphQLContext, kind: RecordProjectionKind, child: Child): Promise<T[]> {
  return (await projectionLoaders(ctx).projections.load(projectionKey(kind, child.id))) as unknown as T[];
}

/**
 * The typed facts the sources give about a child, each with its source. They are read from the source
 * records linked to the child (and to children merged into it), so they follow merges and splits.
 */
@Resolver(() => Child)
export class ChildProjectionsResolver {
  @Sensitive(SensitivityClass.HEALTH)
  @FieldResolver(() => [HealthScreening], { nullable: true, description: 'Health screenings (khám sàng lọc) from health stations, oldest first (undated last). HEALTH: null with FORBIDDEN when your roles do not grant it.' })
  healthScreenings(@Root() child: Child, @Ctx() ctx: GraphQLContext): Promise<HealthScreening[]> {
    return load(ctx, 'healthScreening', child);
  }

  @Sensitive(SensitivityClass.HEALTH)
  @FieldResolver(() => [Vaccination], { nullable: true, description: 'Vaccinations (tiêm chủng) from health stations, oldest first (undated last). HEALTH: null with FORBIDDEN when your roles do not grant it.' })
  vaccinations(@Root() child: Child, @Ctx() ctx: GraphQLContext): Promise<Vaccination[]> {
    return load(ctx, 'vaccination', child);
  }

  @Sensitive(SensitivityClass.HEALTH)
  @FieldResolver(() => [Disability], { nullable: true, description: 'Disabilities (khuyết tật) as health stations and schools record them, by date assessed (undated last). HEALTH: null with FORBIDDEN when your roles do not grant it.' })
  disabilities(@Root() child: Child, @Ctx() ctx: GraphQLContext): Promise<Disability[]> {
    return load(ctx, 'disability', child);
  }

  @Sensitive(SensitivityClass.BASIC)
  @FieldResolver(() => [SchoolEnrolment], { nullable: true, description: 'School enrolments from the education-sector database, by school year. BASIC; `status` below upper secondary and `inclusiveEducation` need more (see their fields).' })
  schoolEnrolments(@Root() child: Child, @Ctx() ctx: GraphQLContext): Promise<SchoolEnrolment[]> {
    return load(ctx, 'schoolEnrolment', child);
  }

  @Sensitive(SensitivityClass.BASIC)
  @FieldResolver(() => [BirthRegistration], {
    nullable: true,
    description: 'Birth registrations (đăng ký khai sinh) from the civil-status register. The registration facts are BASIC; parents and declarant are ADOPTION, the note PROTECTION_GROUP.',
  })
  birthRegistrations(@Root() child: Child, @Ctx() ctx: GraphQLContext): Promise<BirthRegistration[]> {
    return load(ctx, 'birthRegistration', child);
  }

  @Sensitive(SensitivityClass.ADOPTION)
  @FieldResolver(() => [AdoptionRegistration], { nullable: true, description: 'Adoption registrations (đăng ký nuôi con nuôi) from the adoption register, oldest first. ADOPTION: null with FORBIDDEN when your roles do not grant it.' })
  adoptionRegistrations(@Root() child: Child, @Ctx() ctx: GraphQLContext): Promise<AdoptionRegistration[]> {
    return load(ctx, 'adoptionRegistration', child);
  }

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @FieldResolver(() => [Placement], { nullable: true, description: 'Care facilities the child was taken into or seen in, with the facility: one per inspection that listed the child, oldest first (by date taken in, else date seen; undated last). PROTECTION_GROUP: null with FORBIDDEN when your roles do not grant it.' })
  placements(@Root() child: Child, @Ctx() ctx: GraphQLContext): Promise<Placement[]> {
    return load(ctx, 'placement', child);
  }
}

@Resolver(() => Placement)
export class PlacementResolver {
  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @FieldResolver(() => Facility, { nullable: true, description: 'The facility, when a facility record with this code has been received.' })
  async facility(@Root() placement: Placement, @Ctx() ctx: GraphQLContext): Promise<Facility | null> {
    return (await projectionLoaders(ctx).facility.load(placement.facilityCode)) as unknown as Facility | null;
  }

  @Sensitive(SensitivityClass.PROTECTION_GROUP)
  @FieldResolver(() => Child, { nullable: true, description: 'The child placed (through the authorised Child type: each of its fields needs its own class).' })
  async child(@Root() placement: Placement, @Ctx() ctx: GraphQLContext): Promise<Child | null> {
    const principal = requirePrincipal(ctx);
    const child = await ctx.loaders.child.load(placement.childId);
    // Facility placements are already limited to the caller's communes; this keeps it so for any path.
    return child && inScope(principal, child.communeCode) ? (child as unknown as Child) : null;
  }
}
