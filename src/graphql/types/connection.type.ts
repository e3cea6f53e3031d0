import { Field, Int, ObjectType } from 'type-graphql';
import type { SensitivityClass } from '../../auth/sensitivity.js';
import { Child } from './child.type.js';

@ObjectType({ description: 'Relay page information.' })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'Always false: pages are read forward with `after`.' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to read the next page.' })
  endCursor!: string | null;
}

@ObjectType()
export class ChildEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Child)
  node!: Child;
}

@ObjectType({
  description: 'A page of children (Relay connection), ordered by id. Child ids are random (they tell nothing of when a child was recorded), '
    + 'so the order is stable for paging and means nothing else; a child recorded while you page may sort before your cursor and be '
    + 'found by the next pass. MERGED children are not listed (`child(id:)` still finds them, with `mergedIntoId`), except with '
    + '`filter.changedSince`, which lists the children merged since the token too.',
})
export class ChildConnection {
  @Field(() => [ChildEdge])
  edges!: ChildEdge[];

  @Field(() => [Child], { description: 'The nodes of `edges`, for clients that do not need cursors per item.' })
  nodes!: Child[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => String, {
    nullable: true,
    description: 'A change token, taken as this query began: pass it as `filter.changedSince` in your next pull to get the children changed '
      + 'since (take the first from a full pull, without `changedSince`). Keep the one of your pull\'s first page (a later page\'s would '
      + 'skip what changed, meanwhile, on the pages before it). Taken only when selected.',
  })
  changeToken?: string | null;

  /** Kept for the `totalCount` resolver (counted only when asked). */
  filterKey!: unknown;

  /** What the filter reveals of each child it matches (the classes of the attributes it filters on), for the `totalCount` audit. */
  revealed!: SensitivityClass[];

  /** The query and filters that tell something of the children matched: the fields the audit names as read of them. */
  telling!: string[];
}
