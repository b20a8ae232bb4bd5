import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { Policy } from '../config/policy';
import { appendAudit, auditAppendArgs } from '../db/audit';
import { FRAUD_RULE_CODES } from '../domain/channel-grading';
import { amountBand } from '../domain/deidentify';
import { stressTest } from '../domain/dti';
import { matchProducts, type ProductFacts } from '../domain/matching';
import { decideTier } from '../domain/tiering';
import type { ChannelGrade, RiskTier } from '../domain/types';
import type {
  AssignInput,
  CaseProjectionInput,
  ConsentEventInput,
  ContactLogInput,
  DecisionInput,
  EraseInput,
  LeadActivities,
  MatchInput,
  MatchResult,
  NotificationInput,
  PrescreenInput,
  PrescreenResult,
} from './contract';
import { erasureGroupCommitFor } from './erasure';

export interface LeadActivityDeps {
  db: DataSource;
  policy: Policy;
}

const WORKFLOW_ACTOR = { actorSub: 'workflow', actorRole: 'system' };
const PG_UNIQUE_VIOLATION = '23505';
const PG_FK_VIOLATION = '23503';

interface CaseRow {
  id: string;
  channel_id: string;
  channel_grade: ChannelGrade;
  amount_cny: number;
  term_months: number;
  vulnerable: boolean;
  is_local: boolean;
  province_code: string;
  region_prefix: string;
  age_band: string;
  age_at_intake: number | null;
  id_index: string | null;
  phone_index: string | null;
  device_index: string | null;
  region_mismatches: string[];
  risk_tier: RiskTier | null;
  outcome: string | null;
  created_at: Date;
  erased_at: Date | null;
}

/** The case row; a retryable failure while the intake transaction that wrote it is not yet visible. */
/**
 * An intake starts its workflow inside its transaction, so a first activity may run before the
 * commit: a missing row is worth retrying. But the transaction commits within seconds or never;
 * a row still missing this long after the activity was first scheduled, with the database
 * answering, belongs to an intake that rolled back (its API process could not tell, e.g. the
 * connection died at COMMIT). The workflow then ends instead of waiting for ever.
 */
export const INTAKE_COMMIT_GRACE_MS = 2 * 60_000;

/**
 * When the workflow first asked for this work: the earlier of the activity's first scheduling and
 * the workflow time in its input (`at`). A local activity's scheduled time starts again each time
 * the workflow reschedules it after a back-off timer, so for the case's own writes, which run as
 * local activities, only the time in the input measures the whole wait. Both are the Temporal
 * server's clock compared with the worker's, as for any activity's scheduled time: the grace
 * assumes clocks within seconds of each other (NTP), not minutes.
 */
function firstAskedMs(askedAt: string | undefined): number {
  const scheduled = Context.current().info.scheduledTimestampMs;
  const asked = askedAt === undefined ? Number.NaN : Date.parse(askedAt);
  return Number.isFinite(asked) ? Math.min(scheduled, asked) : scheduled;
}

function caseMissing(caseId: string, askedAt?: string): never {
  if (Date.now() - firstAskedMs(askedAt) > INTAKE_COMMIT_GRACE_MS) {
    throw ApplicationFailure.nonRetryable(`case ${caseId} was never committed by its intake`, 'case_never_committed');
  }
  throw ApplicationFailure.retryable(`case ${caseId} is not (yet) in the database`, 'case_not_found');
}

async function loadCase(m: EntityManager, caseId: string, askedAt?: string): Promise<CaseRow> {
  const [row] = await m.query('SELECT * FROM lead_cases WHERE id = $1', [caseId]);
  if (!row) caseMissing(caseId, askedAt);
  return row as CaseRow;
}

async function existingDecision(m: EntityManager, eventId: string) {
  const [row] = await m.query('SELECT tier, rules_fired, result FROM decisions WHERE event_id = $1', [eventId]);
  return row as { tier: RiskTier; rules_fired: PrescreenResult['rulesFired']; result: Record<string, unknown> } | undefined;
}

/** The projection of a case, written only over an older one. */
const PROJECT_CASE_SQL = `UPDATE lead_cases SET stage=$3, is_open=$4, risk_tier=$5, broker_id=$6, consent_state=$7, sla_due_at=$8, sla_kind=$9,
   do_not_contact=$10, selected_product_id=$11, outcome=$12, closed_at=$13, retention_due_at=$14, legal_hold=$15,
   projection_seq=$2, updated_at=now()
 WHERE id=$1 AND projection_seq < $2 RETURNING 1`;
/**
 * What became of a projection (the CTE \`projected\`), seen in the statement's own snapshot: whether
 * it was written, and else the row's sequence, or none when the row is not there. Asking in a later
 * statement would race the intake: its commit could land in between, and a projection that was
 * not written would pass for one a newer projection had overtaken.
 */
const PROJECTION_OUTCOME_SQL = `SELECT (SELECT count(*) FROM projected)::int AS written,
   (SELECT projection_seq FROM lead_cases WHERE id = $1) AS current_seq`;
const PROJECTION_PARAMS = 15;

function projectionParams({ caseId, seq, projection: p }: CaseProjectionInput): unknown[] {
  return [caseId, seq, p.stage, p.isOpen, p.riskTier, p.brokerId, p.consentState, p.slaDueAt, p.slaKind, p.doNotContact, p.selectedProductId, p.outcome, p.closedAt, p.retentionDueAt, p.legalHold];
}

const INSERT_CONTACT_SQL = `INSERT INTO contact_log (event_id, case_id, broker_id, channel, purpose, outcome, local_day, at)
 VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`;

const CONTACT_PARAMS = 8;
/** audit_append's eight parameters, numbered from 1 (see `auditAppendArgs`). */
const AUDIT_APPEND_CALL = '$1::timestamptz,$2,$3,$4,$5,$6,$7::jsonb,$8';

function contactParams(c: ContactLogInput): unknown[] {
  return [c.eventId, c.caseId, c.brokerId, c.channel, c.purpose, c.outcome, c.localDay, c.at];
}

/**
 * Settles a projection statement's outcome: written, or overtaken by a newer one, is done; a row
 * not there yet is retried (its intake may still be committing) until the grace runs out.
 */
function settleProjection(caseId: string, seq: number, askedAt: string | undefined, outcome: { written: number; current_seq: number | null }): void {
  if (outcome.written > 0) return;
  if (outcome.current_seq === null) caseMissing(caseId, askedAt);
  // The row changed under the statement (a concurrent projection): ask again.
  if (outcome.current_seq < seq) throw ApplicationFailure.retryable(`the projection of case ${caseId} met a concurrent one`, 'projection_contended');
}

/** Activities of one lead case, built around their dependencies. Every write is keyed by eventId. */
export function createLeadActivities({ db, policy }: LeadActivityDeps): LeadActivities {
  return {
    async recordConsentEvent(input: ConsentEventInput): Promise<void> {
      try {
        await db.transaction(async (m) => {
          let recorded = 0;
          for (const purpose of input.purposes) {
            const rows = await m.query(
              `INSERT INTO consents (event_id, case_id, purpose, action, notice_version, source, evidence, at)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (event_id, purpose) DO NOTHING RETURNING 1`,
              [input.eventId, input.caseId, purpose, input.action, input.noticeVersion, input.source, JSON.stringify({ eventId: input.eventId }), input.at],
            );
            recorded += rows.length;
          }
          // A retry of an event already recorded (its worker died before reporting success) writes nothing, the audit included.
          // The verified sender, when the message carried one, is the actor of the audit row.
          if (recorded > 0) await appendAudit(m, {
            ...(input.actor ? { actorSub: input.actor.sub, actorRole: input.actor.role } : WORKFLOW_ACTOR),
            action: `consent.${input.action}`, targetType: 'lead_case', targetId: input.caseId,
            details: { purposes: input.purposes, noticeVersion: input.noticeVersion, source: input.source, eventId: input.eventId },
          });
        });
      } catch (err) {
        if ((err as { code?: string }).code === PG_FK_VIOLATION) {
          // Only a missing notice is final; a case row not yet committed by its intake is worth a retry.
          const [notice] = input.noticeVersion ? await db.query('SELECT 1 FROM consent_notices WHERE version = $1', [input.noticeVersion]) : [true];
          if (!notice) throw ApplicationFailure.nonRetryable(`notice version ${input.noticeVersion} does not exist`, 'unknown_notice_version');
          caseMissing(input.caseId, input.at);
        }
        throw err;
      }
    },

    async projectCase(input: CaseProjectionInput): Promise<void> {
      if (!input.holdEvent) {
        const [outcome] = await db.query(`WITH projected AS (${PROJECT_CASE_SQL}) ${PROJECTION_OUTCOME_SQL}`, projectionParams(input));
        settleProjection(input.caseId, input.seq, input.at, outcome);
        return;
      }
      // A legal hold placed or released: its event (keyed by the workflow's event, so a retry adds
      // none), the audit row that follows that insert, and the projection, in one statement. The
      // reason, free text, is attached to the event by the API afterwards, never put in the chain.
      const { eventId, hold, actor } = input.holdEvent;
      const holdAt = PROJECTION_PARAMS;
      const auditAt = holdAt + 3;
      const shift = (sql: string, by: number) => sql.replace(/\$(\d+)/g, (_, n) => `$${Number(n) + by}`);
      const audit = auditAppendArgs(
        {
          actorSub: actor.sub, actorRole: actor.role, action: hold ? 'legal_hold.placed' : 'legal_hold.released', targetType: 'lead_case',
          targetId: input.caseId, details: { eventId },
        },
        new Date(),
      );
      const [outcome] = await db.query(
        `WITH held AS (INSERT INTO legal_hold_events (case_id, hold, reason, actor, request_key) VALUES ($1, $${holdAt + 1}, NULL, $${holdAt + 2}, $${holdAt + 3})
                       ON CONFLICT (request_key) DO NOTHING RETURNING 1),
         audited AS (SELECT audit_append(${shift(AUDIT_APPEND_CALL, auditAt)}) FROM held),
         projected AS (${PROJECT_CASE_SQL})
         ${PROJECTION_OUTCOME_SQL}, (SELECT count(*) FROM audited)::int AS audited`,
        [...projectionParams(input), hold, `${actor.role}:${actor.sub}`, holdEventKey(eventId), ...audit],
      );
      settleProjection(input.caseId, input.seq, input.at, outcome);
    },

    async prescreenLead({ caseId, eventId, at }: PrescreenInput): Promise<PrescreenResult> {
      const prior = await existingDecision(db.manager, eventId);
      if (prior) return { tier: prior.tier, rulesFired: prior.rules_fired, requiredDocuments: (prior.result.requiredDocuments as string[]) ?? [] };

      const c = await loadCase(db.manager, caseId, at);
      const [facts] = await db.query('SELECT monthly_income, monthly_debt FROM credit_facts WHERE case_id = $1', [caseId]);
      if (!facts) throw ApplicationFailure.nonRetryable(`case ${caseId} has no credit facts`, 'credit_facts_missing');
      const [device] = c.device_index
        ? await db.query(`SELECT count(*)::int AS n FROM lead_cases WHERE device_index = $1 AND created_at > $2::timestamptz - interval '24 hours' AND created_at <= $2::timestamptz + interval '1 minute'`, [c.device_index, at])
        : [{ n: 0 }];
      const [lenders] = c.id_index
        ? await db.query(`SELECT count(DISTINCT lender_id)::int AS n FROM lender_applications WHERE id_index = $1 AND applied_at > $2::timestamptz - make_interval(days => $3)`, [c.id_index, at, policy.fraud.multiLenderWindowDays])
        : [{ n: 0 }];
      const [black] = await db.query('SELECT count(*)::int AS n FROM blacklist_entries WHERE blind_index = ANY($1)', [[c.id_index, c.phone_index].filter(Boolean)]);

      const stress = stressTest({ monthlyIncome: facts.monthly_income, monthlyDebt: facts.monthly_debt, amount: c.amount_cny, termMonths: c.term_months }, policy);
      const fraud = { deviceLeads24h: device.n, lenderApplications: lenders.n, blacklisted: black.n > 0, regionMismatches: c.region_mismatches };
      const decision = decideTier({ stress, fraud, vulnerable: c.vulnerable, channelGrade: c.channel_grade }, policy);

      await db.transaction(async (m) => {
        const inserted = await m.query(
          `INSERT INTO decisions (event_id, case_id, kind, tier, outcome, rules_fired, inputs, result, decided_by, decided_at)
           VALUES ($1,$2,'prescreen',$3,$4,$5,$6,$7,'automated_prescreen',$8) ON CONFLICT (event_id) DO NOTHING RETURNING 1`,
          [
            eventId, caseId, decision.tier, { A: 'auto_pass', B: 'manual_review', C: 'declined' }[decision.tier],
            JSON.stringify(decision.rulesFired),
            JSON.stringify({
              dtiPct: stress.dtiPct, stressedDtiPct: stress.stressedDtiPct, amountBand: amountBand(c.amount_cny), termMonths: c.term_months,
              ...fraud, vulnerable: c.vulnerable, channelGrade: c.channel_grade,
            }),
            JSON.stringify({ requiredDocuments: decision.requiredDocuments }),
            at,
          ],
        );
        if (decision.rulesFired.some((r) => (FRAUD_RULE_CODES as readonly string[]).includes(r.code))) {
          await m.query('UPDATE lead_cases SET fraud_flagged = true WHERE id = $1', [caseId]);
        }
        if (inserted.length > 0) await appendAudit(m, { ...WORKFLOW_ACTOR, action: 'prescreen.decided', targetType: 'lead_case', targetId: caseId, details: { tier: decision.tier, eventId } });
      });
      const stored = await existingDecision(db.manager, eventId);
      return { tier: stored!.tier, rulesFired: stored!.rules_fired, requiredDocuments: (stored!.result.requiredDocuments as string[]) ?? [] };
    },

    async matchLead({ caseId, eventId, tier, at }: MatchInput): Promise<MatchResult> {
      const prior = await existingDecision(db.manager, eventId);
      if (prior) return prior.result as unknown as MatchResult;

      const c = await loadCase(db.manager, caseId, at);
      const rows = await db.query(
        `SELECT p.*, l.licensed AS lender_licensed, l.active AS lender_active FROM products p JOIN lenders l ON l.id = p.lender_id`,
      );
      const products: ProductFacts[] = rows.map((r: Record<string, unknown>) => ({
        productId: r.id as string, lenderId: r.lender_id as string, lenderLicensed: r.lender_licensed as boolean, lenderActive: r.lender_active as boolean,
        active: r.active as boolean, aprMinPct: Number(r.apr_min_pct), aprMaxPct: Number(r.apr_max_pct),
        amountMin: r.amount_min as number, amountMax: r.amount_max as number, termMinMonths: r.term_min_months as number, termMaxMonths: r.term_max_months as number,
        secured: r.secured as boolean, disbursementDays: r.disbursement_days as number, eligibleTiers: r.eligible_tiers as RiskTier[],
        provinces: (r.provinces as string[] | null) ?? 'nationwide', allowsNonLocal: r.allows_non_local as boolean,
        ageMin: r.age_min as number, ageMax: r.age_max as number, commissionPct: Number(r.commission_pct),
      }));
      const age = c.age_at_intake ?? 0;
      const result = matchProducts(
        { amount: c.amount_cny, termMonths: c.term_months, tier, age, provinceCode: c.province_code, local: c.is_local, channelGrade: c.channel_grade },
        products,
        policy,
      );
      const out: MatchResult = {
        matches: result.matches.map((m) => ({ productId: m.productId, lenderId: m.lenderId, rank: m.rank, reasons: [...m.reasons] })),
        excludedCount: result.excluded.length,
      };
      await db.transaction(async (m) => {
        await m.query(
          `INSERT INTO decisions (event_id, case_id, kind, tier, outcome, rules_fired, inputs, result, decided_by, decided_at)
           VALUES ($1,$2,'match',$3,$4,$5,$6,$7,'automated_matching',$8) ON CONFLICT (event_id) DO NOTHING`,
          [
            eventId, caseId, tier, out.matches.length > 0 ? 'matched' : 'no_eligible_product',
            JSON.stringify(result.excluded),
            JSON.stringify({ tier, amountBand: amountBand(c.amount_cny), termMonths: c.term_months, ageBand: c.age_band, provinceCode: c.province_code, local: c.is_local, channelGrade: c.channel_grade }),
            JSON.stringify(out),
            at,
          ],
        );
      });
      return out;
    },

    async assignBroker({ caseId, excludeBrokerIds }: AssignInput): Promise<{ brokerId: string | null }> {
      const c = await loadCase(db.manager, caseId);
      const [pick] = await db.query(
        `SELECT b.id FROM brokers b
           LEFT JOIN channels ch ON ch.id = $1
           LEFT JOIN lead_cases lc ON lc.broker_id = b.id AND lc.is_open AND lc.id <> $3
          WHERE b.active AND NOT (b.id = ANY($2))
          GROUP BY b.id, b.team, ch.team
          ORDER BY (b.team IS NOT DISTINCT FROM ch.team) DESC, count(lc.id) ASC, b.id ASC
          LIMIT 1`,
        [c.channel_id, excludeBrokerIds, caseId],
      );
      return { brokerId: pick?.id ?? null };
    },

    async recordDecision(input: DecisionInput): Promise<void> {
      await db.transaction(async (m) => {
        const inserted = await m.query(
          `INSERT INTO decisions (event_id, case_id, kind, tier, outcome, decided_by, decided_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (event_id) DO NOTHING RETURNING 1`,
          [input.eventId, input.caseId, input.kind, input.tier, input.outcome, input.decidedBy, input.at],
        );
        const actor = input.actor ? { actorSub: input.actor.sub, actorRole: input.actor.role } : { actorSub: input.decidedBy, actorRole: 'workflow' };
        if (inserted.length > 0) await appendAudit(m, { ...actor, action: `decision.${input.kind}`, targetType: 'lead_case', targetId: input.caseId, details: { outcome: input.outcome, eventId: input.eventId } });
      });
    },

    async recordContactAttempt({ entry, case: projection, auditedBy }): Promise<void> {
      // One statement, so one round trip and one implicit transaction: the log entry, the projection
      // and the audit row land together or not at all. The audit row follows the log entry's insert,
      // so a retry after a commit whose answer was lost (the entry is there) appends no second row.
      const contactAt = PROJECTION_PARAMS;
      const auditAt = contactAt + CONTACT_PARAMS;
      const shift = (sql: string, by: number) => sql.replace(/\$(\d+)/g, (_, n) => `$${Number(n) + by}`);
      const audit = auditedBy
        ? auditAppendArgs(
            {
              actorSub: auditedBy.sub, actorRole: auditedBy.role, action: 'contact.logged', targetType: 'lead_case', targetId: entry.caseId,
              details: { channel: entry.channel, purpose: entry.purpose, outcome: entry.outcome, eventId: entry.eventId },
            },
            new Date(),
          )
        : null;
      const [outcome] = await db.query(
        `WITH logged AS (${shift(INSERT_CONTACT_SQL, contactAt)} ON CONFLICT (event_id) DO NOTHING RETURNING 1),
         projected AS (${PROJECT_CASE_SQL})
         ${audit ? `, audited AS (SELECT audit_append(${shift(AUDIT_APPEND_CALL, auditAt)}) FROM logged)` : ''}
         ${PROJECTION_OUTCOME_SQL}${audit ? ', (SELECT count(*) FROM audited)::int AS audited' : ''}`,
        [...projectionParams(projection), ...contactParams(entry), ...(audit ?? [])],
      );
      settleProjection(entry.caseId, projection.seq, entry.at, outcome);
    },

    async notify(input: NotificationInput): Promise<void> {
      await db.query(
        `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload)
         VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (event_id) DO NOTHING`,
        [input.eventId, input.kind, input.caseId, input.recipientRole, input.recipientId, JSON.stringify(input.payload)],
      );
    },

    async eraseLeadData(input: EraseInput): Promise<{ erased: boolean }> {
      // Erasures arriving together share one transaction and one hold of the audit chain's lock.
      return erasureGroupCommitFor(db).erase(input);
    },
  };
}

/** The `request_key` of the legal-hold event a case's workflow wrote for its event `eventId`. */
export const holdEventKey = (eventId: string) => `workflow:${eventId}`;

export { PG_UNIQUE_VIOLATION };
