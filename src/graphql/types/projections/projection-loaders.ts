import DataLoader from 'dataloader';
import { ALL_COMMUNES } from '../../../auth/principal.js';
import { ProjectionReadRepository, type ProjectionRow } from '../../../db/repositories/projection-read.repository.js';
import type { Row } from '../../../db/sql.js';
import type { RecordProjectionKind } from '../../../services/projections/projection-tables.js';
import type { GraphQLContext } from '../../context.js';
import { groupBy } from '../../../util/group-by.js';

const SEP = '\u0000';

function createProjectionLoaders(repo: ProjectionReadRepository, ctx: GraphQLContext) {
  const scope = () => {
    const s = ctx.principal?.communeScope;
    return s === ALL_COMMUNES || s === undefined ? null : s;
  };
  return {
    /** For statements that are not per-key loads (pages). */
    repo,
    /**
     * Keyed by `kind \0 childId`: every projection field of every child at one level of a request is one
     * batch, and one statement (the kinds not asked for cost nothing).
     */
    projections: new DataLoader<string, ProjectionRow[]>(async (keys) => {
      const kinds = new Set<RecordProjectionKind>();
      const childIds = new Set<string>();
      for (const k of keys) {
        const [kind, childId] = k.split(SEP) as [RecordProjectionKind, string];
        kinds.add(kind);
        childIds.add(childId);
      }
      const m = groupBy(await repo.projectionsByChildIds([...kinds], [...childIds], ctx.queries), (r) => `${r.projection}${SEP}${r.childId}`);
      return keys.map((k) => m.get(k) ?? []);
    }),
    facility: new DataLoader<string, Row | null>(async (codes) => {
      const m = new Map((await repo.facilitiesByCodes(codes, ctx.queries)).map((r) => [r.code as string, r]));
      return codes.map((c) => m.get(c) ?? null);
    }),
    inspectionsByFacility: new DataLoader<string, Row[]>(async (codes) => {
      const m = groupBy(await repo.inspectionsByFacilityCodes(codes, ctx.queries), (r) => r.facilityCode as string);
      return codes.map((c) => m.get(c) ?? []);
    }),
    /** Only children in the caller's commune scope. */
    placementsByFacility: new DataLoader<string, Row[]>(async (codes) => {
      const m = groupBy(await repo.placementsByFacilityCodes(codes, scope(), ctx.queries), (r) => r.facilityCode as string);
      return codes.map((c) => m.get(c) ?? []);
    }),
  };
}
export type ProjectionLoaders = ReturnType<typeof createProjectionLoaders>;

const perRequest = new WeakMap<GraphQLContext, ProjectionLoaders>();

/** The key of one child's projections of one kind in `projections`. */
export function projectionKey(kind: RecordProjectionKind, childId: string): string {
  return `${kind}${SEP}${childId}`;
}

/** The request's projection and facility loaders, made on first use (batched per request like the others). */
export function projectionLoaders(ctx: GraphQLContext): ProjectionLoaders {
  let loaders = perRequest.get(ctx);
  if (!loaders) {
    loaders = createProjectionLoaders(ctx.repo.projections, ctx);
    perRequest.set(ctx, loaders);
  }
  return loaders;
}
