import { defaultFieldResolver, GraphQLNonNull, GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { SensitivityClass as Classes } from '../../auth/sensitivity.js';
import type { SensitivityClass } from '../../auth/sensitivity.js';
import { ForbiddenError } from '../../errors/index.js';
import { requirePrincipal, type GraphQLContext } from '../context.js';

interface PersonalDataExtension {
  childIdField: string;
}

/**
 * Wraps every field of every `@PersonalData` type so that it resolves only when the caller's roles grant
 * the field's sensitivity class, and records each release (child id + class) for the audit. A personal
 * type with a field that declares no class fails schema construction: deny by default starts at build time.
 */
export function enforceFieldAuthorization(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType)) continue;
    const personal = type.extensions?.personalData as PersonalDataExtension | undefined;
    if (!personal) continue;
    for (const field of Object.values(type.getFields())) {
      const cls = field.extensions?.sensitivity as SensitivityClass | undefined;
      if (!cls) throw new Error(`${type.name}.${field.name} is on a personal-data type but declares no sensitivity class`);
      // A denied field resolves to null; if it were non-null the whole parent object would be lost too.
      // BASIC is the entry class of every personal root field, so only BASIC fields may be non-null.
      if (cls !== Classes.BASIC && field.type instanceof GraphQLNonNull) {
        throw new Error(`${type.name}.${field.name} is ${cls} data and must be nullable`);
      }
      const more = field.extensions?.sensitivityMore as ((record: Record<string, unknown>) => readonly SensitivityClass[]) | undefined;
      const resolve = field.resolve ?? defaultFieldResolver;
      const path = `${type.name}.${field.name}`;
      const idField = personal.childIdField;
      const declared: readonly SensitivityClass[] = [cls];
      field.resolve = (source: Record<string, unknown>, args, ctx: GraphQLContext, info) => {
        const principal = requirePrincipal(ctx);
        const childId = source[idField];
        // Every field of every personal record comes through here: the common case allocates nothing.
        const added = more?.(source);
        const classes = added?.length ? [cls, ...added.filter((c) => c !== cls)] : declared;
        const missing = classes.find((c) => !principal.classes.has(c));
        if (missing) {
          ctx.access.deny(childId, path);
          // "here": which classes a record's value needs depends on the record (see SensitiveBy).
          const what = classes.length === 1 ? `${cls} data` : `${classes.join(' and ')} data here`;
          throw new ForbiddenError(`${path} is ${what}, which your roles do not grant`);
        }
        for (const c of classes) ctx.access.read(childId, c, source.id);
        ctx.access.readField(childId, path, source.id);
        return resolve(source, args, ctx, info);
      };
    }
  }
  return schema;
}
