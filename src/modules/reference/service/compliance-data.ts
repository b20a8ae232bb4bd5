import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DomainError } from '../../../platform/domain/errors';
import type { Actor } from '../../../platform/domain/actor';
import { appendAudit } from '../../../platform/audit/log';
import { normalizeMobile } from '../../../platform/domain/phone';
import { blindIndex } from '../../../platform/crypto';
import type { LenderDataCategory } from '../../../platform/domain/types';
import {
  findLenderIds,
  findNotice,
  findNoticeSummary,
  findNotices,
  insertNoticeIfAbsent,
  noticeExists,
} from '../repository/notices';
import {
  deleteBlacklistEntry,
  findBlacklistEntries,
  insertBlacklistEntryIfAbsent,
  lockBlacklistEntry,
  updateBlacklistReason,
} from '../repository/blacklist';
import { insertLenderApplications } from '../repository/lender-applications';

/**
 * Consent notices and the blacklist: the reference data that compliance and risk officers keep.
 *
 * A notice version is published once and never changes (a trigger refuses UPDATE and DELETE on
 * `consent_notices`): every consent names the version it was given to, and the text must stay what
 * the customer saw. The blacklist holds keyed blind indexes of ID numbers and phones, never the
 * numbers, and a reason code; the pre-screen declines a lead whose index is listed.
 */

export interface NoticeSummary {
  version: string;
  contentHash: string;
  publishedAt: string;
}

const iso = (v: unknown) => new Date(v as string).toISOString();

export async function listNotices(db: DataSource): Promise<{ items: NoticeSummary[] }> {
  const rows = await findNotices(db);
  return { items: rows.map((r: NoticeSummary) => ({ ...r, publishedAt: iso(r.publishedAt) })) };
}

export async function getNotice(
  db: DataSource,
  version: string,
): Promise<NoticeSummary & { text: string; recipients?: NoticeRecipient[] }> {
  const row = await findNotice(db, version);
  if (!row) throw new DomainError('notice_not_found', `consent notice version ${version} does not exist`);
  // `recipients` only on a version that names lenders (PIPL art. 23, 29).
  const { recipients, ...notice } = row;
  return { ...notice, ...(recipients?.length ? { recipients } : {}), publishedAt: iso(row.publishedAt) };
}

/** Refuses a consent given to a notice version that was never published. */
export async function assertNoticePublished(db: DataSource, version: string): Promise<void> {
  if (!(await noticeExists(db, version)))
    throw new DomainError('unknown_notice_version', `consent notice version ${version} does not exist`);
}

/**
 * Publishes a notice version. The same version with the same text again is answered as the first
 * (`created: false`); with another text it is refused: a published text is never replaced.
 */
export async function publishNotice(
  db: DataSource,
  actor: Actor,
  input: { version: string; text: string; recipients?: NoticeRecipient[] },
): Promise<{ created: boolean; notice: NoticeSummary }> {
  const recipients = input.recipients ?? [];
  await assertRecipientsNamed(db, input.text, recipients);
  const contentHash = noticeContentHash(input.text, recipients);
  return db.transaction(async (m) => {
    const inserted: NoticeSummary[] = await insertNoticeIfAbsent(m, {
      version: input.version,
      text: input.text,
      contentHash,
      recipients,
    });
    if (inserted.length === 0) {
      const existing = await findNoticeSummary(m, input.version);
      if (existing.contentHash !== contentHash) {
        throw new DomainError(
          'notice_version_exists',
          `consent notice version ${input.version} is already published with another text; publish the new text as a new version`,
        );
      }
      return { created: false, notice: { ...existing, publishedAt: iso(existing.publishedAt) } };
    }
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: 'consent_notice.published',
      targetType: 'consent_notice',
      targetId: input.version,
      details: { contentHash },
    });
    return { created: true, notice: { ...inserted[0], publishedAt: iso(inserted[0].publishedAt) } };
  });
}

/** A lender a notice version asks consent to share with, as the notice names it (PIPL art. 23, 29). */
export interface NoticeRecipient {
  lenderId: string;
  lenderName: string;
  contact: string;
  purpose: string;
  method: string;
  dataCategories: LenderDataCategory[];
}

/** The text's SHA-256; with recipients, over the text and their canonical JSON, so the hash covers both. */
export function noticeContentHash(text: string, recipients: NoticeRecipient[] = []): string {
  const hash = createHash('sha256').update(text);
  if (recipients.length > 0) hash.update('\n').update(JSON.stringify(recipients));
  return hash.digest('hex');
}

/** Each recipient is a lender we know, and the text itself names it and its contact. */
async function assertRecipientsNamed(db: DataSource, text: string, recipients: NoticeRecipient[]): Promise<void> {
  if (recipients.length === 0) return;
  const ids = recipients.map((r) => r.lenderId);
  const known = await findLenderIds(db, ids);
  const unknown = ids.filter((id) => !known.some((k) => k.id === id));
  if (unknown.length > 0)
    throw new DomainError('unknown_lender', `no such lender: ${unknown.join(', ')}`, { lenderIds: unknown });
  const unnamed = recipients.filter((r) => !text.includes(r.lenderName) || !text.includes(r.contact));
  if (unnamed.length > 0)
    throw new DomainError(
      'notice_recipient_not_named',
      `the notice text must name each recipient and its contact: ${unnamed.map((r) => r.lenderId).join(', ')}`,
    );
}

export interface BlacklistPerson {
  idNumber?: string;
  phone?: string;
}

type Kind = 'idNumber' | 'phone';

/** The blind indexes of what was given, by kind: the same keyed hashes intake stores for each case. */
function indexesOf(person: BlacklistPerson, blindIndexKey: string): { kind: Kind; index: string }[] {
  const key = Buffer.from(blindIndexKey, 'base64');
  const out: { kind: Kind; index: string }[] = [];
  if (person.idNumber) out.push({ kind: 'idNumber', index: blindIndex('id', person.idNumber.toUpperCase(), key) });
  if (person.phone) out.push({ kind: 'phone', index: blindIndex('phone', normalizeMobile(person.phone), key) });
  return out;
}

/**
 * How much a listing weighs: a stronger reason replaces a weaker one (a self-excluded person later
 * found to commit fraud is listed for fraud), never the other way round.
 */
const LISTING_WEIGHT: Record<string, number> = {
  customer_self_exclusion: 1,
  fraud_confirmed: 2,
  identity_misuse: 2,
  forged_documents: 2,
  court_order: 3,
  regulator_list: 3,
};

/** Which listings a removal reason may lift: the end of a self-exclusion does not lift a fraud listing. */
const LIFTS: Record<string, string[] | 'any'> = {
  listed_in_error: 'any',
  court_order: 'any',
  appeal_upheld: ['fraud_confirmed', 'identity_misuse', 'forged_documents'],
  self_exclusion_ended: ['customer_self_exclusion'],
};

/** Lists the person's ID number and phone. One already listed keeps its reason unless the new one weighs more. */
export async function addToBlacklist(
  db: DataSource,
  blindIndexKey: string,
  actor: Actor,
  person: BlacklistPerson,
  reason: string,
) {
  const entries = indexesOf(person, blindIndexKey);
  return db.transaction(async (m) => {
    const added: Kind[] = [];
    const raised: Kind[] = [];
    for (const e of entries) {
      if (await insertBlacklistEntryIfAbsent(m, e.index, reason)) {
        added.push(e.kind);
        continue;
      }
      const row = await lockBlacklistEntry(m, e.index);
      if (row && (LISTING_WEIGHT[reason] ?? 0) > (LISTING_WEIGHT[row.reason] ?? 0)) {
        await updateBlacklistReason(m, e.index, reason);
        raised.push(e.kind);
      }
    }
    const alreadyListed = entries.map((e) => e.kind).filter((k) => !added.includes(k));
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: 'blacklist.added',
      targetType: 'blacklist',
      targetId: null,
      details: { reason, added, alreadyListed, raised },
    });
    return { added, alreadyListed, raised };
  });
}

/** Takes the person off the list where the removal reason covers the listing's; the rest stay (`kept`). */
export async function removeFromBlacklist(
  db: DataSource,
  blindIndexKey: string,
  actor: Actor,
  person: BlacklistPerson,
  reason: string,
) {
  const entries = indexesOf(person, blindIndexKey);
  const lifts = LIFTS[reason];
  return db.transaction(async (m) => {
    const removed: Kind[] = [];
    const kept: Kind[] = [];
    for (const e of entries) {
      const row = await lockBlacklistEntry(m, e.index);
      if (!row) continue;
      if (lifts === 'any' || (lifts ?? []).includes(row.reason)) {
        await deleteBlacklistEntry(m, e.index);
        removed.push(e.kind);
      } else {
        kept.push(e.kind);
      }
    }
    const notListed = entries.map((e) => e.kind).filter((k) => !removed.includes(k) && !kept.includes(k));
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: 'blacklist.removed',
      targetType: 'blacklist',
      targetId: null,
      details: { reason, removed, kept, notListed },
    });
    return { removed, kept, notListed };
  });
}

/** Whether the person's ID number or phone is listed, and why. A lookup of personal data: audited. */
export async function checkBlacklist(db: DataSource, blindIndexKey: string, actor: Actor, person: BlacklistPerson) {
  const entries = indexesOf(person, blindIndexKey);
  const rows = await findBlacklistEntries(
    db,
    entries.map((e) => e.index),
  );
  const listed = entries.map((e) => {
    const row = rows.find((r) => r.blind_index === e.index);
    return {
      kind: e.kind,
      listed: row !== undefined,
      reason: row?.reason ?? null,
      addedAt: row ? iso(row.added_at) : null,
    };
  });
  await appendAudit(db.manager, {
    actorSub: actor.sub,
    actorRole: actor.role,
    action: 'blacklist.checked',
    targetType: 'blacklist',
    targetId: null,
    details: { kinds: entries.map((e) => e.kind), listed: listed.some((l) => l.listed) },
  });
  return { listed: listed.some((l) => l.listed), entries: listed };
}

/**
 * Records applications a person made at lenders, for the pre-screen's multi-lender rule (多头借贷):
 * stored by the ID number's keyed blind index, never the number. A report sent again counts once.
 */
export async function recordLenderApplications(
  db: DataSource,
  blindIndexKey: string,
  actor: Actor,
  applications: { idNumber: string; lenderId: string; appliedAt: Date }[],
): Promise<{ recorded: number; duplicates: number }> {
  const key = Buffer.from(blindIndexKey, 'base64');
  return db.transaction(async (m) => {
    const recorded = await insertLenderApplications(
      m,
      applications.map((a) => blindIndex('id', a.idNumber.toUpperCase(), key)),
      applications.map((a) => a.lenderId),
      applications.map((a) => a.appliedAt.toISOString()),
    );
    const lenders = [...new Set(applications.map((a) => a.lenderId))].sort();
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: 'lender_applications.recorded',
      targetType: 'lender_applications',
      targetId: null,
      details: { received: applications.length, recorded, lenders: lenders.slice(0, 50) },
    });
    return { recorded, duplicates: applications.length - recorded };
  });
}
