import { Ctx, Query, Resolver } from 'type-graphql';
import { ALL_COMMUNES } from '../../auth/principal.js';
import { requirePrincipal, type GraphQLContext } from '../context.js';
import { Viewer } from '../types/viewer.type.js';

@Resolver(() => Viewer)
export class ViewerResolver {
  @Query(() => Viewer, { description: 'Who you are to the hub: roles, commune scope and the sensitivity classes you may read.' })
  me(@Ctx() ctx: GraphQLContext): Viewer {
    const p = requirePrincipal(ctx);
    return {
      subject: p.subject,
      officerId: p.officerId,
      agency: p.agency,
      roles: p.roles,
      communeScope: p.communeScope === ALL_COMMUNES ? [ALL_COMMUNES] : p.communeScope,
      sensitivityClasses: [...p.classes].sort(),
      purpose: p.purpose,
    };
  }
}
