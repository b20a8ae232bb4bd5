import type { DataSource } from 'typeorm';
import type { Actor } from '../../../platform/domain/actor';
import { DomainError } from '../../../platform/domain/errors';
import { findCaseRow, type CaseRow } from '../repository/cases';

/** Who may read a case: everyone but brokers (their own cases only) and channels (their channel's). */

type ReadFacts = Pick<CaseRow, 'broker_id' | 'channel_id' | 'submitted_by'> & { stage?: unknown };
/** Stages a case reaches only once a broker has been assigned: from then on, being its submitter no longer lets a broker read it. */
const ASSIGNED_STAGES: unknown[] = ['follow_up', 'submitted'];

/** Why `actor` may not read the case, or null when it may. */
function readRefusal(actor: Actor, row: ReadFacts): DomainError | null {
  // The broker who submitted a case reads it until a broker is assigned (by rule, a manager, a
  // deadline or an offboarding); after that only the assigned broker does.
  const submitterStillReads =
    row.submitted_by === `broker:${actor.sub}` && row.broker_id === null && !ASSIGNED_STAGES.includes(row.stage);
  if (actor.role === 'broker' && row.broker_id !== actor.sub && !submitterStillReads) {
    return new DomainError(
      'not_your_case',
      'brokers see only the cases assigned to them, or that they submitted until a broker is assigned',
    );
  }
  if (actor.role === 'channel' && row.channel_id !== actor.channelId)
    return new DomainError('not_your_channel', "a channel sees only its own channel's cases");
  return null;
}

export const mayRead = (actor: Actor, row: ReadFacts): boolean => readRefusal(actor, row) === null;

export function assertMayRead(actor: Actor, row: CaseRow): void {
  const refusal = readRefusal(actor, row);
  if (refusal) throw refusal;
}

export async function loadCaseRow(db: DataSource, caseId: string): Promise<CaseRow> {
  const row = await findCaseRow(db, caseId);
  if (!row) throw new DomainError('case_not_found', `case ${caseId} was not found`);
  return row;
}
