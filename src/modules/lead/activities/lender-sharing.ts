import type { DataSource } from 'typeorm';
import { appendAudit } from '../../../platform/audit/log';
import { caseMissing } from './case-row';
import type { CostAcknowledgementInput } from './contract';

const PG_FK_VIOLATION = '23503';

/**
 * The customer's acknowledgement of a product's cost disclosure: the hash of the disclosure they
 * were shown, its all-in rate, who recorded it and when, with its audit row. Keyed by eventId: a
 * retry writes nothing, the audit included. The ledger is append-only.
 */
export async function recordCostAcknowledgement(db: DataSource, input: CostAcknowledgementInput): Promise<void> {
  try {
    await db.transaction(async (m) => {
      const inserted = await m.query(
        `INSERT INTO cost_disclosure_acknowledgements
           (event_id, case_id, product_id, lender_id, disclosure_hash, all_in_apr_pct, source, at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (event_id) DO NOTHING RETURNING 1`,
        [
          input.eventId,
          input.caseId,
          input.productId,
          input.lenderId,
          input.disclosureHash,
          input.allInAprPct,
          input.source,
          input.at,
        ],
      );
      if (inserted.length > 0)
        await appendAudit(m, {
          actorSub: input.actor.sub,
          actorRole: input.actor.role,
          action: 'cost_disclosure.acknowledged',
          targetType: 'lead_case',
          targetId: input.caseId,
          details: {
            productId: input.productId,
            lenderId: input.lenderId,
            disclosureHash: input.disclosureHash,
            eventId: input.eventId,
          },
        });
    });
  } catch (err) {
    // A case row not yet committed by its intake is worth a retry.
    if ((err as { code?: string }).code === PG_FK_VIOLATION) caseMissing(input.caseId, input.at);
    throw err;
  }
}
