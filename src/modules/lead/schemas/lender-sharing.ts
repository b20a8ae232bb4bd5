import { z } from 'zod';
import { consentGrantSchema, withdrawSchema } from './leads';

/**
 * Requests about sharing with lenders: a consent naming lenders, a withdrawal for some of them, the
 * customer's acknowledgement of a product's cost disclosure, and the lender package.
 */

const lenderId = z.string().min(1).max(64);
const lenderIds = z
  .array(lenderId)
  .min(1)
  .max(20)
  .transform((l) => [...new Set(l)]);

/** A grant; `lender_sharing` names its lenders (PIPL art. 23, 29), each one named by the notice version. */
export const lenderConsentGrantSchema = consentGrantSchema
  .extend({
    lenderIds: lenderIds
      .optional()
      .describe(
        'required with lender_sharing: the lenders the customer agrees to share with, each named by the notice',
      ),
  })
  .superRefine((g, ctx) => {
    const sharing = g.purposes.includes('lender_sharing');
    if (sharing && !g.lenderIds)
      ctx.addIssue({ code: 'custom', path: ['lenderIds'], message: 'name the lenders lender_sharing is granted for' });
    if (!sharing && g.lenderIds)
      ctx.addIssue({ code: 'custom', path: ['lenderIds'], message: 'lenderIds go with lender_sharing only' });
  });

/** A withdrawal; with `lenderIds` (and `lender_sharing` alone) it stops sharing with those lenders only. */
export const lenderWithdrawSchema = withdrawSchema
  .extend({
    lenderIds: lenderIds
      .optional()
      .describe('with purposes ["lender_sharing"] only: withdraw the consent for these lenders, the others stand'),
  })
  .superRefine((w, ctx) => {
    if (w.lenderIds && (w.purposes.length !== 1 || w.purposes[0] !== 'lender_sharing'))
      ctx.addIssue({
        code: 'custom',
        path: ['lenderIds'],
        message: 'withdraw named lenders with purposes ["lender_sharing"] alone',
      });
  });

export const costAcknowledgementSchema = z.strictObject({
  productId: z.string().min(1).max(64),
  disclosureHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'the disclosureHash of the match, 64 hex digits')
    .describe("the costDisclosure.disclosureHash of the case's match the customer was shown"),
});

export const lenderPackageQuerySchema = z.strictObject({ lenderId });
