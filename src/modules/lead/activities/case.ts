import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import type { Policy } from '../../../platform/config/policy';
import { appendAudit } from '../../../platform/audit/log';
import type { AssignInput, ConsentEventInput, DecisionInput, LeadActivities, NotificationInput } from './contract';
import { erasureGroupCommitFor } from './erasure';
import { caseMissing, loadCase, WORKFLOW_ACTOR } from './case-row';
import { matchLead, prescreenLead } from './decisions';
import { projectCase, recordContactAttempt } from './projection';
import { recordCostAcknowledgement } from './lender-sharing';
import {
  consentNoticeExists,
  insertConsent,
  insertDecision,
  insertNotification,
  pickBroker,
} from '../repository/case-writes';

export { INTAKE_COMMIT_GRACE_MS } from './case-row';
export { holdEventKey } from './projection';

export interface LeadActivityDeps {
  db: DataSource;
  policy: Policy;
}

const PG_UNIQUE_VIOLATION = '23505';
const PG_FK_VIOLATION = '23503';

/** Activities of one lead case, built around their dependencies. Every write is keyed by eventId. */
export function createLeadActivities(deps: LeadActivityDeps): LeadActivities {
  const { db } = deps;
  return {
    recordConsentEvent: (input) => recordConsentEvent(db, input),
    recordCostAcknowledgement: (input) => recordCostAcknowledgement(db, input),
    projectCase: (input) => projectCase(db, input),
    prescreenLead: (input) => prescreenLead(deps, input),
    matchLead: (input) => matchLead(deps, input),
    assignBroker: (input) => assignBroker(db, input),
    recordDecision: (input) => recordDecision(db, input),
    recordContactAttempt: (input) => recordContactAttempt(db, input),
    notify: (input) => notify(db, input),
    // Erasures arriving together share one transaction and one hold of the audit chain's lock.
    eraseLeadData: async (input) => erasureGroupCommitFor(db).erase(input),
  };
}

async function recordConsentEvent(db: DataSource, input: ConsentEventInput): Promise<void> {
  try {
    await db.transaction(async (m) => {
      let recorded = 0;
      // One row per purpose; lender_sharing naming lenders, one row per lender.
      const rowsToWrite = input.purposes.flatMap((purpose) =>
        purpose === 'lender_sharing' && input.lenderIds?.length
          ? input.lenderIds.map((lenderId) => ({ purpose, lenderId }))
          : [{ purpose, lenderId: null as string | null }],
      );
      for (const { purpose, lenderId } of rowsToWrite) {
        recorded += await insertConsent(m, {
          eventId: input.eventId,
          caseId: input.caseId,
          purpose,
          action: input.action,
          noticeVersion: input.noticeVersion,
          source: input.source,
          evidence: JSON.stringify({ eventId: input.eventId }),
          at: input.at,
          lenderId,
        });
      }
      // A retry of an event already recorded (its worker died before reporting success) writes nothing, the audit included.
      // The verified sender, when the message carried one, is the actor of the audit row.
      if (recorded > 0)
        await appendAudit(m, {
          ...(input.actor ? { actorSub: input.actor.sub, actorRole: input.actor.role } : WORKFLOW_ACTOR),
          action: `consent.${input.action}`,
          targetType: 'lead_case',
          targetId: input.caseId,
          details: {
            purposes: input.purposes,
            ...(input.lenderIds?.length ? { lenderIds: input.lenderIds } : {}),
            noticeVersion: input.noticeVersion,
            source: input.source,
            eventId: input.eventId,
          },
        });
    });
  } catch (err) {
    if ((err as { code?: string }).code === PG_FK_VIOLATION) await consentTargetMissing(db, input);
    throw err;
  }
}

/** Only a missing notice is final; a case row not yet committed by its intake is worth a retry. */
async function consentTargetMissing(db: DataSource, input: ConsentEventInput): Promise<never> {
  const [notice] = input.noticeVersion ? [await consentNoticeExists(db, input.noticeVersion)] : [true];
  if (!notice)
    throw ApplicationFailure.nonRetryable(
      `notice version ${input.noticeVersion} does not exist`,
      'unknown_notice_version',
    );
  caseMissing(input.caseId, input.at);
}

/** The active broker with the fewest open cases, preferring the channel's team. */
async function assignBroker(
  db: DataSource,
  { caseId, excludeBrokerIds }: AssignInput,
): Promise<{ brokerId: string | null }> {
  const c = await loadCase(db.manager, caseId);
  const pick = await pickBroker(db, c.channel_id, excludeBrokerIds, caseId);
  return { brokerId: pick?.id ?? null };
}

async function recordDecision(db: DataSource, input: DecisionInput): Promise<void> {
  await db.transaction(async (m) => {
    const inserted = await insertDecision(m, input);
    const actor = input.actor
      ? { actorSub: input.actor.sub, actorRole: input.actor.role }
      : { actorSub: input.decidedBy, actorRole: 'workflow' };
    if (inserted)
      await appendAudit(m, {
        ...actor,
        action: `decision.${input.kind}`,
        targetType: 'lead_case',
        targetId: input.caseId,
        details: { outcome: input.outcome, eventId: input.eventId },
      });
  });
}

async function notify(db: DataSource, input: NotificationInput): Promise<void> {
  await insertNotification(db, input);
}

export { PG_UNIQUE_VIOLATION };
