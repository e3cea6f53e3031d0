import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * Names of the fields selected directly under the current field, through inline fragments and fragment
 * spreads (directives such as @skip are ignored: at worst something is fetched and not used).
 */
export function selectedFieldNames(info: GraphQLResolveInfo): Set<string> {
  return selectedFieldNamesAt(info, []);
}

/**
 * Names of the fields selected under the field at `path` below the current field (`['pageInfo']`: what is
 * asked of `pageInfo`), wherever fragments put them; empty when nothing selects that path.
 */
export function selectedFieldNamesAt(info: GraphQLResolveInfo, path: readonly string[]): Set<string> {
  let sets: Array<SelectionSetNode | undefined> = info.fieldNodes.map((n) => n.selectionSet);
  for (const step of path) sets = [...fieldsUnder(info, sets).entries()].filter(([name]) => name === step).flatMap(([, s]) => s);
  return new Set(fieldsUnder(info, sets).keys());
}

/** Field name → the selection sets under it, for the fields directly in `sets`. */
function fieldsUnder(info: GraphQLResolveInfo, sets: ReadonlyArray<SelectionSetNode | undefined>): Map<string, Array<SelectionSetNode | undefined>> {
  const fields = new Map<string, Array<SelectionSetNode | undefined>>();
  const visit = (set: SelectionSetNode | undefined, seen: Set<string>) => {
    for (const sel of set?.selections ?? []) {
      if (sel.kind === Kind.FIELD) {
        const under = fields.get(sel.name.value) ?? [];
        under.push(sel.selectionSet);
        fields.set(sel.name.value, under);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) visit(sel.selectionSet, seen);
      else if (!seen.has(sel.name.value)) {
        seen.add(sel.name.value);
        visit(info.fragments[sel.name.value]?.selectionSet, seen);
      }
    }
  };
  for (const set of sets) visit(set, new Set());
  return fields;
}

/**
 * The rows of a Relay page whose membership of the page the response tells, for the audit of what a query
 * reveals about them beyond the fields read (the filter that selected them):
 * - every row fetched (`fetched`: the page and the one past it) when `pageInfo.hasNextPage` is selected: it rests on
 *   all of them;
 * - every item of the page when `edges` or `nodes` is selected (an item, even a cursor alone, names its child:
 *   cursors encode ids), or `pageInfo`'s `startCursor` or `endCursor`: which item ends a page of `first` rests on
 *   every item before it;
 * - none for `totalCount` alone; the page at least when `atLeastPage` (a page by name tells of its children
 *   whatever is read of it).
 * Any cursor decodes, so the page may start anywhere (QA: the end cursors of `first: 2` after an id less its last
 * letter and of `first: 1` after the id, compared, told whether that child was in the group, and `hasNextPage`
 * likewise, with no audit row naming it).
 */
export function toldPageItems<T>(info: GraphQLResolveInfo, page: readonly T[], fetched: readonly T[], atLeastPage = false): T[] {
  const selected = selectedFieldNames(info);
  const pageInfo = selected.has('pageInfo') ? selectedFieldNamesAt(info, ['pageInfo']) : new Set<string>();
  if (pageInfo.has('hasNextPage')) return [...fetched];
  if (atLeastPage || selected.has('edges') || selected.has('nodes') || pageInfo.has('startCursor') || pageInfo.has('endCursor')) return [...page];
  return [];
}
