import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';

/**
 * Refuses an operation of a kind the schema has no root type for (a subscription: the API has none), as a validation
 * error naming what to do instead. graphql-js lets it through validation and fails it at execution, which the gateway
 * reported as an internal error to quote (QA re-check).
 */
export function operationTypeRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (context.getSchema().getRootType(node.operation)) return;
      const instead = node.operation === 'subscription' ? ': pull changes with `children(filter: { changedSince: … })` and `changeToken` (see the README, "Pulling changes")' : '';
      context.reportError(new GraphQLError(`This API offers no ${node.operation}s${instead}`, { nodes: node }));
    },
  };
}
