import { z } from 'zod';
import { ROLES } from './sensitivity.js';

/** The claims the hub reads from a bearer token, beyond the standard ones. */
export const tokenClaimsSchema = z.object({
  sub: z.string().min(1),
  officer_id: z.string().min(1).optional(),
  agency: z.string().min(1),
  unit: z.string().min(1).optional(),
  roles: z.array(z.enum(ROLES)).min(1),
  communes: z.union([z.literal('*'), z.array(z.string().regex(/^\d{5}$/)).min(1)]),
  purpose: z.string().min(1).max(100),
});
export type TokenClaims = z.infer<typeof tokenClaimsSchema>;
