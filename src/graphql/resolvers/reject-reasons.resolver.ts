import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Principal } from '../../auth/principal.js';
import { ALL_SENSITIVITY_CLASSES } from '../../auth/sensitivity.js';
import { missingClasses, reasonClasses, reasonsAsSeen, visibleFieldsPattern, WITHHELD_FIELD } from '../../auth/reason-classes.js';
import { ForbiddenError } from '../../errors/index.js';
import { requirePrincipal, type GraphQLContext } from '../context.js';
import { RecordProblem, RejectedRecord } from '../types/connector.type.js';
import { SourceRecordOpenReject } from '../types/source-record.type.js';

/**
 * A quarantined record's reasons as the caller may see them (src/auth/reason-classes.ts): a reason about a
 * field of a sensitive class the caller's roles do not grant is left out (`reasonsAsSeen`). No audit event is written for a reason
 * of a sensitive class shown: a reason names a field and what was wrong with its value, never the value, so
 * it releases no personal data (the class decides only whether the field it names may be told).
 */
@Resolver(() => RejectedRecord)
export class RejectedRecordReasonsResolver {
  // Described where the field is declared (RejectedRecord.reasons): type-graphql keeps that description.
  @FieldResolver(() => [RecordProblem])
  reasons(@Root() reject: RejectedRecord, @Ctx() ctx: GraphQLContext): RecordProblem[] {
    return reasonsAsSeen(reject.reasons, requirePrincipal(ctx).classes);
  }
}

@Resolver(() => SourceRecordOpenReject)
export class OpenRejectReasonsResolver {
  @FieldResolver(() => [RecordProblem])
  reasons(@Root() reject: SourceRecordOpenReject, @Ctx() ctx: GraphQLContext): RecordProblem[] {
    return reasonsAsSeen(reject.reasons, requirePrincipal(ctx).classes);
  }
}

/**
 * What `rejectedRecords`/`rejectedRecordCount` need to filter by reason without telling what they withhold:
 * a `field` of a class the caller lacks is refused (FORBIDDEN, audited as DENIED naming `deniedAs`), and the
 * pattern of the fields it may see, for the repository to match `code` against the reasons as shown.
 */
export function reasonFilterOf(ctx: GraphQLContext, p: Principal, field: string | null, deniedAs: string): { visibleFields: string | null } {
  if (field !== null && field !== WITHHELD_FIELD) {
    const missing = missingClasses(field, p.classes);
    if (missing.length > 0) {
      ctx.access.deny(undefined, deniedAs);
      // The class may be named here: the caller named the field.
      const needs = reasonClasses(field) === ALL_SENSITIVITY_CLASSES
        ? 'every class (a field the hub does not know the class of is taken as of every class)'
        : missing.join(' and ');
      throw new ForbiddenError(`Reasons about \`${field}\` are withheld from your roles: filtering by it needs a role granting ${needs}`);
    }
  }
  return { visibleFields: visibleFieldsPattern(p.classes) };
}
