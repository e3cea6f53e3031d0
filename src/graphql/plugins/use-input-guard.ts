import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, visit, type DocumentNode, type ValueNode } from 'graphql';
import type { GraphQLContext } from '../context.js';

/**
 * Refuses, as `BAD_USER_INPUT` and before anything runs, a request with a NUL character (U+0000) in any of its
 * strings, written in the query or given as a variable. No field takes one: PostgreSQL's text cannot hold it.
 * QA: an id with a NUL reached the audit writer, whose insert then failed for every request's events written
 * with it (a caller with no right to any data refused other officers' reads), and a name filter with one was an
 * internal error.
 */
export function useInputGuard(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          // A string of the query holds a NUL only if its text has one, or an escape (`\u0000`, `\u{0}`): most have
          // neither, and are not walked.
          // A persisted query's text may not be sent: its document is walked.
          const text = request.query;
          const mayHold = text === undefined || text.includes('\u0000') || text.includes('\\u');
          const where = (mayHold ? nulInDocument(document) : null) ?? nulInVariables(document, request.variables);
          if (where !== null) {
            const what = where === IN_QUERY ? 'A string in the query' : `\`${where}\``;
            // Answered 400, as a caller's mistake: an error a plugin throws is otherwise a 500 (QA).
            throw new GraphQLError(`${what} contains a NUL character (U+0000), which no field accepts`, {
              extensions: { code: 'BAD_USER_INPUT', ...(where === IN_QUERY ? {} : { argument: where }), http: { status: 400, headers: new HeaderMap() } },
            });
          }
        },
      };
    },
  };
}

/** A NUL in a string of the query that no argument takes (a variable's default value). */
const IN_QUERY = '';

/** The argument (`id`, `filter.name`) whose literal value holds a NUL first, {@link IN_QUERY}, or null. */
function nulInDocument(document: DocumentNode): string | null {
  let found: string | null = null;
  visit(document, {
    Argument(node) {
      if (found === null && hasNulLiteral(node.value)) found = node.name.value;
    },
    StringValue(node) {
      if (found === null && node.value.includes('\u0000')) found = IN_QUERY;
    },
  });
  return found;
}

function hasNulLiteral(value: ValueNode): boolean {
  switch (value.kind) {
    case Kind.STRING:
      return value.value.includes('\u0000');
    case Kind.LIST:
      return value.values.some(hasNulLiteral);
    case Kind.OBJECT:
      return value.fields.some((f) => hasNulLiteral(f.value));
    default:
      return false;
  }
}

/**
 * Where the first variable string holding a NUL is, named by the argument the variable is given to, as the
 * resolvers name what they refuse (`$f: { name }` given as `filter` is `filter.name`); a variable no argument
 * takes by its name (`$f.name`).
 */
function nulInVariables(document: DocumentNode, variables: Record<string, unknown> | undefined): string | null {
  if (!variables) return null;
  for (const [name, value] of Object.entries(variables)) {
    const inside = nulInValue(value, '');
    if (inside === null) continue;
    return `${argumentTaking(document, name) ?? `$${name}`}${inside}`;
  }
  return null;
}

/** The argument (`filter`, or `filter.name` for a variable inside an object) that takes variable `name`, or null. */
function argumentTaking(document: DocumentNode, name: string): string | null {
  let found: string | null = null;
  const within = (value: ValueNode, path: string): void => {
    if (found !== null) return;
    if (value.kind === Kind.VARIABLE && value.name.value === name) found = path;
    else if (value.kind === Kind.OBJECT) for (const f of value.fields) within(f.value, `${path}.${f.name.value}`);
    else if (value.kind === Kind.LIST) value.values.forEach((v, i) => within(v, `${path}[${i}]`));
  };
  visit(document, { Argument: (node) => within(node.value, node.name.value) });
  return found;
}

/** The path (`.name`, `[2]`) of the first string holding a NUL in a value, below `path`, or null. */
function nulInValue(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nulInValue(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const found = nulInValue(v, `${path}.${k}`);
      if (found) return found;
    }
  }
  return null;
}
