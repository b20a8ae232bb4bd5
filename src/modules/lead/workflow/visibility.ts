/**
 * What a lead case shows of itself: its search attributes, the details managers read in the Web UI
 * and its Postgres projection. Pure functions of the state and the time they are given.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { CaseProjectionInput } from '../activities/contract';
import { CONSENT_PURPOSES, isOpenStage, type ConsentState } from '../../../platform/domain/types';
import {
  AmountCnyKey,
  BrokerIdKey,
  ChannelIdKey,
  ConsentStateKey,
  LeadStageKey,
  RiskTierKey,
  SlaDueAtKey,
  VulnerableKey,
} from '../../../platform/temporal/search-attributes';
import type { Deadline, LeadCaseState } from '../messages';

/** The case's consent as one word; a withdrawal of credit_assessment consent outranks everything. */
export function consentStateOf(state: LeadCaseState, coreWithdrawn: boolean): ConsentState {
  const granted = CONSENT_PURPOSES.filter((p) => state.consent[p].granted);
  if (coreWithdrawn || state.consentState === 'withdrawn') return 'withdrawn';
  if (granted.length === 0) return 'none';
  return granted.length === CONSENT_PURPOSES.length ? 'granted' : 'partial';
}

/** Who or what the case is waiting for, in a manager's words. */
export function waitingFor(state: LeadCaseState): string {
  const d = state.deadline;
  const until = d ? ` (due ${d.dueAt}${d.workingMs !== undefined ? ', counting working hours' : ''})` : '';
  switch (state.stage) {
    case 'awaiting_consent':
      return `the customer's credit-assessment consent${until}`;
    case 'prescreening':
      return 'the automated pre-screen';
    case 'manual_review':
      return `a risk officer's review${until}${state.reviewEscalated ? ', escalated' : ''}`;
    case 'matching':
      return 'product matching and broker assignment';
    case 'follow_up':
      return state.brokerId
        ? `${d?.kind === 'first_contact' ? 'first contact' : 'follow-up'} by broker ${state.brokerId}${until}`
        : `a broker to pick the case from the shared pool${until}`;
    case 'submitted':
      return `the lender's decision on product ${state.selectedProductId}`;
    case 'erased':
      return 'nothing: personal data erased';
    default:
      return state.legalHold
        ? 'release of the legal hold (retention clock paused)'
        : `the end of retention on ${state.retentionDueAt}, then erasure`;
  }
}

/** The search attributes managers filter on. */
export function searchAttributesOf(state: LeadCaseState): SearchAttributeUpdatePair[] {
  const f = state.facts;
  return [
    { key: LeadStageKey, value: state.stage },
    { key: RiskTierKey, value: state.tier ?? null },
    { key: ChannelIdKey, value: f.channelId },
    { key: BrokerIdKey, value: state.brokerId ?? null },
    { key: ConsentStateKey, value: state.consentState },
    { key: SlaDueAtKey, value: state.deadline ? new Date(state.deadline.dueAt) : null },
    { key: VulnerableKey, value: f.vulnerable },
    { key: AmountCnyKey, value: f.amountCny },
  ];
}

/**
 * The case summary managers read in the Web UI's User Metadata tab. A run continued as new has no
 * static summary (continueAsNew cannot set one): its details carry it.
 */
export function caseDetails(state: LeadCaseState, continuedAsNew: boolean): string {
  const f = state.facts;
  const summary = `**Lead case** · ${f.channelId} · ${f.amountCny} CNY over ${f.termMonths} months · ${f.loanPurpose} (continued from an earlier run)`;
  return [
    ...(continuedAsNew ? [summary] : []),
    `**Stage:** ${state.stage}${state.closeReason ? ` (${state.closeReason})` : ''}`,
    `**Waiting for:** ${waitingFor(state)}`,
    `**Tier:** ${state.tier ?? 'not yet scored'} · **Consent:** ${state.consentState} · **Vulnerable:** ${f.vulnerable ? 'yes' : 'no'} · **Local:** ${f.local ? 'yes' : 'no'}`,
    `**Channel:** ${f.channelId} (${f.channelGrade}) · **Amount:** ${f.amountCny} CNY / ${f.termMonths} months · **Broker:** ${state.brokerId ?? 'none'}`,
  ].join('\n');
}

/** The case's row in Postgres as of `at`, under the state's current `seq`. */
export function projectionOf(state: LeadCaseState, at: Date): CaseProjectionInput {
  return {
    caseId: state.caseId,
    seq: state.seq,
    at: at.toISOString(),
    projection: {
      stage: state.stage,
      isOpen: isOpenStage(state.stage),
      riskTier: state.tier,
      brokerId: state.brokerId,
      consentState: state.consentState,
      slaDueAt: state.deadline?.dueAt ?? null,
      slaKind: state.deadline?.kind ?? null,
      doNotContact: state.doNotContact,
      selectedProductId: state.selectedProductId,
      outcome: state.outcome,
      closedAt: state.closedAt,
      retentionDueAt: state.retentionDueAt,
      legalHold: state.legalHold !== null,
    },
  };
}

/**
 * Whether the case is still exactly what its intake projected (awaiting consent, nothing granted,
 * no broker, no hold, the intake's deadline object itself, nothing projected since): then there is
 * nothing to write. `intakeDeadline` is null for a case its intake did not project.
 */
export function stillAsProjectedAtIntake(
  state: LeadCaseState,
  intakeDeadline: Deadline | null,
  coreWithdrawn: boolean,
): boolean {
  return (
    intakeDeadline !== null &&
    state.seq === 1 &&
    state.stage === 'awaiting_consent' &&
    consentStateOf(state, coreWithdrawn) === 'none' &&
    state.brokerId === null &&
    !state.doNotContact &&
    state.legalHold === null &&
    state.deadline === intakeDeadline
  );
}
