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
 * The items of a Relay page (`edges`, `nodes`, `pageInfo`) whose identity the response releases, for the
 * audit of what a query reveals about them beyond the fields read (the filter that selected them): every item
 * when `edges` or `nodes` is selected (an item, even a cursor alone, names its child: cursors encode ids),
 * the first or last when only `pageInfo`'s `startCursor` or `endCursor` is, none for `totalCount` or
 * `hasNextPage` alone.
 */
export function releasedPageItems<T>(info: GraphQLResolveInfo, items: readonly T[]): T[] {
  const selected = selectedFieldNames(info);
  if (selected.has('edges') || selected.has('nodes')) return [...items];
  if (!selected.has('pageInfo') || items.length === 0) return [];
  const pageInfo = selectedFieldNamesAt(info, ['pageInfo']);
  const out: T[] = [];
  if (pageInfo.has('startCursor')) out.push(items[0]!);
  if (pageInfo.has('endCursor') && (items.length > 1 || out.length === 0)) out.push(items.at(-1)!);
  return out;
}

/** Whether the connection's `pageInfo { hasNextPage }` is selected. */
export function asksHasNextPage(info: GraphQLResolveInfo): boolean {
  return selectedFieldNamesAt(info, ['pageInfo']).has('hasNextPage');
}
