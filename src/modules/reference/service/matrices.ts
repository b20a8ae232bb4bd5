import type { DataSource, EntityManager } from 'typeorm';
import type { z } from 'zod';
import type { channelSchema, lenderSchema, productSchema } from '../schemas';
import type { Actor } from '../../../platform/domain/actor';
import { DomainError } from '../../../platform/domain/errors';
import { appendAudit } from '../../../platform/audit/log';
import { undefinedCostCorner } from '../../lead/rules/cost';
import {
  findBrokers,
  findChannels,
  findLenders,
  findProducts,
  upsertChannel,
  upsertLender,
  upsertProduct,
} from '../repository/matrices';

/** The matrices the rules read (lenders, products, channels, brokers): listed and saved, every change audited. */

const FOREIGN_KEY_VIOLATION = '23503';

export const listLenders = (db: DataSource) => findLenders(db);

export const listProducts = (db: DataSource) => findProducts(db);

export const listChannels = (db: DataSource) => findChannels(db);

export const listBrokers = (db: DataSource) => findBrokers(db);

/** Runs an upsert that returns `inserted` and audits it in the same transaction; says whether the row was new. */
async function upsertAudited(
  db: DataSource,
  actor: Actor,
  kind: string,
  id: string,
  upsert: (m: EntityManager) => Promise<{ inserted?: boolean } | undefined>,
  details: Record<string, unknown> = {},
): Promise<{ created: boolean }> {
  return db.transaction(async (m) => {
    const row = await upsert(m);
    const created = row?.inserted === true;
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: `${kind}.saved`,
      targetType: kind,
      targetId: id,
      details: { created, ...details },
    });
    return { created };
  });
}

export type LenderInput = z.infer<typeof lenderSchema>;

/** Creates or replaces a lender by ID. */
export const saveLender = (db: DataSource, actor: Actor, l: LenderInput) =>
  upsertAudited(db, actor, 'lender', String(l.id), (m) => upsertLender(m, l), {
    type: l.type,
    partnerListing: l.partnerListing,
  });

export type ChannelInput = z.infer<typeof channelSchema>;

/** Creates or replaces a channel by ID; a suspension set here is the admin's, lifting it clears who suspended it. */
export const saveChannel = (db: DataSource, actor: Actor, c: ChannelInput) =>
  upsertAudited(db, actor, 'channel', String(c.id), (m) => upsertChannel(m, c));

export type ProductInput = z.infer<typeof productSchema>;

/**
 * Refuses, before anything is written, a product that charges the borrower a fee payable to us
 * (金规〔2025〕9号: the platform may charge the borrower nothing) or whose all-in cost is undefined
 * somewhere in its amount and term range (upfront fees that take the whole principal).
 */
function assertPricingAcceptable(p: ProductInput): void {
  const toUs = p.fees.filter((f) => f.payee === 'platform').map((f) => f.name);
  if (toUs.length > 0)
    throw new DomainError(
      'borrower_fee_to_platform',
      'a fee the borrower pays to the platform (our firm) is not allowed: the platform may charge the borrower nothing',
      { fees: toUs },
    );
  const corner = undefinedCostCorner(p, p);
  if (corner)
    throw new DomainError(
      'all_in_cost_undefined',
      `${corner.message} (amount ${corner.principal}, ${corner.termMonths} months)`,
      {
        amount: corner.principal,
        termMonths: corner.termMonths,
      },
    );
}

/** Creates or replaces a product by ID; a product of a lender that does not exist is refused. */
export async function saveProduct(db: DataSource, actor: Actor, p: ProductInput): Promise<{ created: boolean }> {
  assertPricingAcceptable(p);
  try {
    return await upsertAudited(db, actor, 'product', p.id, (m) => upsertProduct(m, p), {
      repayment: p.repayment,
      nominalAprPct: p.nominalAprPct,
      fees: p.fees,
    });
  } catch (err) {
    if ((err as { code?: string }).code === FOREIGN_KEY_VIOLATION)
      throw new DomainError('unknown_lender', `lender ${p.lenderId} does not exist`);
    throw err;
  }
}
