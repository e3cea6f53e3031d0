import { z } from 'zod';
import { communeByCode } from '../reference/admin-units.js';
import { ROLES } from './sensitivity.js';

/**
 * A commune scope names 2025 communes. A code outside the list (a unit merged away in July 2025, a typo)
 * matched no child, so its holder saw nothing and was not told why (QA): such a token is refused, naming
 * the codes (administrative codes, not personal data).
 */
const communeCodes = z.array(z.string().regex(/^\d{5}$/, 'must be 5-digit commune codes, or "*" alone for the whole city')).min(1).superRefine((codes, ctx) => {
  const unknown = codes.filter((c) => /^\d{5}$/.test(c) && communeByCode(c) === null);
  if (unknown.length) {
    ctx.addIssue({
      code: 'custom',
      message: `not communes of the 2025 list (units in force from 1 July 2025): ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''}`,
    });
  }
});

/** The claims the hub reads from a bearer token, beyond the standard ones. */
export const tokenClaimsSchema = z.object({
  sub: z.string().min(1),
  officer_id: z.string().min(1).optional(),
  /** The officer's name (OpenID Connect's `name`): the registry is told who asks, when an officer asks for a check. */
  name: z.string().min(1).max(200).optional(),
  agency: z.string().min(1),
  unit: z.string().min(1).optional(),
  roles: z.array(z.enum(ROLES)).min(1),
  communes: z.union([z.literal('*'), communeCodes]),
  purpose: z.string().min(1).max(100),
});
export type TokenClaims = z.infer<typeof tokenClaimsSchema>;
