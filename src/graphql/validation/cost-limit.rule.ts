import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
} from 'graphql';
import { Extensions } from 'type-graphql';

/** The largest page a paged field gives (`GRAPHQL_MAX_PAGE_SIZE`): assumed when `first` is a variable. */
export const MAX_PAGE = 100;
/** Items assumed in a list that is not paged (a child's source records, vaccinations…). */
export const UNPAGED_LIST_SIZE = 10;
/** What a count over a whole filter costs: a scan, where a field costs one. */
export const COUNT_COST = 1_000;
/** What a mutation costs (it queues a registry check or a sync, or closes records): twenty of them fill a request. */
export const MUTATION_COST = 10_000;

/**
 * A field's own cost when it is more than one field's work ({@link COUNT_COST}, {@link MUTATION_COST}),
 * read by {@link operationCost} (QA: 1,000 aliased `totalCount`s cost 1,000 and took 20 s; 300 aliased
 * `requestIdentityReconciliation`s queued 300 registry checks).
 */
export function Cost(cost: number): MethodDecorator & PropertyDecorator {
  return Extensions({ cost }) as MethodDecorator & PropertyDecorator;
}

/**
 * Rejects operations that could make the gateway resolve more than `max` fields ({@link operationCost}). Depth
 * alone does not bound a query: aliases do not nest (QA: 300 aliases of `identityConflicts(first: 100)` took
 * 6.9 s and 7.6 MB).
 */
export function costLimitRule(max: number, maxPage = MAX_PAGE) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const cost = operationCost(context.getSchema(), context.getDocument(), node, { stopAbove: max, maxPage });
      if (cost > max) {
        context.reportError(
          new GraphQLError(
            `Operation could resolve at least ${cost.toLocaleString('en')} fields, over the maximum of ${max.toLocaleString('en')}: `
              + 'ask for smaller pages (`first`), fewer aliases or fewer fields, and page with `after`',
            { nodes: [node], extensions: { code: 'QUERY_TOO_COSTLY', cost, max } },
          ),
        );
      }
    },
  });
}

/**
 * How many fields an operation could make the gateway resolve: each field counts one, times how many of it there
 * can be — a paged list (one with `first`), or a paged connection's `nodes` and `edges`, its page size (the literal,
 * the argument's default, or the largest page (`maxPage`) when it is a variable, whose value validation does not
 * see), the connection's other fields (`totalCount`, `pageInfo`) once; another list {@link UNPAGED_LIST_SIZE}; a
 * field marked with {@link Cost} its cost instead of one. Introspection counts as any query does (`__typename` is
 * free); a tool's full introspection query costs about 53,000. The count stops once it passes `stopAbove` (a
 * fragment bomb is not walked to its end).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  { stopAbove = Infinity, maxPage = MAX_PAGE }: { stopAbove?: number; maxPage?: number } = {},
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  }
  const pageOf = (def: GraphQLField<unknown, unknown>, node: FieldNode): number | null => {
    const first = def.args.find((a) => a.name === 'first');
    if (!first) return null;
    const given = node.arguments?.find((a) => a.name.value === 'first')?.value;
    // A page larger than the largest is refused by its resolver (BAD_USER_INPUT naming `first`): counted as the largest,
    // so that is the error it gets, not QUERY_TOO_COSTLY for one size and BAD_USER_INPUT for another (QA). One below 1,
    // refused too, counts as 1: counted as given, a negative page made the whole operation's cost negative, and the other
    // fields of it ran unbounded (QA re-check: 300 aliases of a page ran beside `first: -2000000000`).
    if (given?.kind === Kind.INT) return Math.max(1, Math.min(Number(given.value), maxPage));
    if (given?.kind === Kind.VARIABLE) return maxPage;
    return typeof first.defaultValue === 'number' ? first.defaultValue : maxPage;
  };
  /**
   * The fields `set` resolves on one object of `type`; `pageSize`: the object is a page of that size, whose lists
   * (`nodes`, `edges`) are its items, and whose other fields (`totalCount`, `pageInfo`) it answers once.
   */
  const costOf = (set: SelectionSetNode, type: GraphQLNamedType | null | undefined, pageSize: number | null, seen: ReadonlySet<string>): number => {
    let total = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        if (name === '__typename') continue;
        // Introspection counts as any query does (QA: 500 aliases of `__schema` answered 45 MB without a token).
        const def = name === '__schema' ? SchemaMetaFieldDef : name === '__type' ? TypeMetaFieldDef
          : type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[name] : undefined;
        const page = def ? pageOf(def, sel) : null;
        const list = !!def && isListType(getNullableType(def.type));
        // A paged list is its page's items; a paged connection is one object whose lists are (QA: its `totalCount`
        // counted once per item, so two counted pages of 100 were refused). Another list: as many as a page's
        // items when it is a page's, else UNPAGED_LIST_SIZE.
        const many = list ? (page ?? pageSize ?? UNPAGED_LIST_SIZE) : 1;
        const own = typeof def?.extensions?.['cost'] === 'number' ? (def.extensions['cost'] as number) : 1;
        const inner = sel.selectionSet ? costOf(sel.selectionSet, def ? getNamedType(def.type) : null, list ? null : page, seen) : 0;
        total += many * (own + inner);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        total += costOf(sel.selectionSet, sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : type, pageSize, seen);
      } else {
        const name = sel.name.value;
        const frag = fragments.get(name);
        if (frag && !seen.has(name)) total += costOf(frag.selectionSet, schema.getType(frag.typeCondition.name.value), pageSize, new Set([...seen, name]));
      }
      if (total > stopAbove) return total;
    }
    return total;
  };
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  return costOf(operation.selectionSet, root, null, new Set());
}
