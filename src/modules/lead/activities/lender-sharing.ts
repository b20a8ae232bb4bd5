import type { DataSource } from 'typeorm';
import { appendAudit } from '../../../platform/audit/log';
import { caseMissing } from './case-row';
import type { CostAcknowledgementInput } from './contract';
import { insertCostAcknowledgement } from '../repository/lender-sharing';

const PG_FK_VIOLATION = '23503';

/**
 * The customer's acknowledgement of a product's cost disclosure: the hash of the disclosure they
 * were shown, its all-in rate, who recorded it and when, with its audit row. Keyed by eventId: a
 * retry writes nothing, the audit included. The ledger is append-only.
 */
export async function recordCostAcknowledgement(db: DataSource, input: CostAcknowledgementInput): Promise<void> {
  try {
    await db.transaction(async (m) => {
      if (await insertCostAcknowledgement(m, input))
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
