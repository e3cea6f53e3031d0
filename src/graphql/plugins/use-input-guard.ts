import type { ApolloServerPlugin } from '@apollo/server';
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
          const where = nulInDocument(document) ?? nulInValue(request.variables, 'variables');
          if (where) {
            throw new GraphQLError(`${where} contains a NUL character (U+0000), which no field accepts`, {
              extensions: { code: 'BAD_USER_INPUT', argument: where },
            });
          }
        },
      };
    },
  };
}

/** Where the first string literal holding a NUL is (`argument \`id\``), or null. */
function nulInDocument(document: DocumentNode): string | null {
  let found: string | null = null;
  visit(document, {
    Argument(node) {
      if (found === null && node.value.kind !== Kind.VARIABLE && hasNulLiteral(node.value)) found = `argument \`${node.name.value}\``;
    },
    // Variable defaults, and strings anywhere else (a directive's argument is an Argument too).
    StringValue(node) {
      if (found === null && node.value.includes('\u0000')) found = 'a string in the query';
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

/** The path (`variables.filter.name`) of the first string holding a NUL in a variables value, or null. */
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
