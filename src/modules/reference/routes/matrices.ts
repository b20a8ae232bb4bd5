import type { z } from 'zod';
import type { Actor } from '../../../platform/domain/actor';
import { checkMarketingText } from '../../lead/rules/marketing-text';
import { saveBroker } from '../../broker/service';
import type { CaseDeps } from '../../lead/service/cases';
import {
  listBrokers,
  listChannels,
  listLenders,
  listProducts,
  saveChannel,
  saveLender,
  saveProduct,
} from '../service/matrices';
import { actorOf } from '../../../platform/http/auth';
import { anyObject, errors, json, problem } from '../../../platform/http/openapi';
import { defineRoute, type Route } from '../../../platform/http/route';
import { marketingTextSchema } from '../../lead/schemas/leads';
import { brokerSavedSchema, brokerSchema, channelSchema, lenderSchema, productSchema } from '../schemas';

/** The matrices the rules read (lenders, products, channels, brokers) and the marketing-text check. */
export function referenceRoutes(deps: CaseDeps): Route[] {
  const list = (path: string, summary: string, load: (db: CaseDeps['db']) => Promise<unknown[]>) =>
    defineRoute({
      method: 'get',
      path,
      summary,
      roles: ['admin', 'manager'],
      responses: { 200: json(anyObject, 'items'), ...errors },
      handler: async (_input, _req, res) => {
        res.json({ items: await load(deps.db) });
      },
    });

  // Create-or-replace by ID; every change is audited with who made it.
  const upsert = <S extends z.ZodType>(
    kind: string,
    summary: string,
    schema: S,
    save: (db: CaseDeps['db'], actor: Actor, body: z.infer<S>) => Promise<{ created: boolean }>,
  ) =>
    defineRoute({
      method: 'post',
      path: `/v1/${kind}s`,
      summary,
      roles: ['admin'],
      request: { body: schema },
      responses: { 200: json(schema, 'replaced'), 201: json(schema, 'created'), ...errors },
      handler: async ({ body }, req, res) => {
        const { created } = await save(deps.db, actorOf(req), body as z.infer<S>);
        res.status(created ? 201 : 200).json(body);
      },
    });

  return [
    list('/v1/lenders', 'Lenders', listLenders),
    list('/v1/products', 'Products of licensed lenders', listProducts),
    list('/v1/channels', 'Channels and their grades', listChannels),
    list('/v1/brokers', 'Brokers and their open cases', listBrokers),

    upsert('lender', 'Create or replace a lender', lenderSchema, saveLender),
    upsert('channel', 'Create or replace a channel (grade, suspension)', channelSchema, saveChannel),

    // Deactivating a broker hands over their open cases (src/modules/broker/service.ts).
    defineRoute({
      method: 'post',
      path: '/v1/brokers',
      summary:
        'Create or replace a broker; deactivating one (active: false) ends their access at their next request and hands over their open cases as offboarding does',
      roles: ['admin', 'manager'],
      request: { body: brokerSchema },
      responses: {
        200: json(brokerSavedSchema, 'replaced'),
        201: json(brokerSavedSchema, 'created'),
        ...errors,
        409: problem(
          '`offboarding_in_progress`: reactivating a broker whose hand-over is still running; retry when it has finished',
        ),
        503: problem(
          'Temporal unreachable: the broker is deactivated but the hand-over has not started; send the same request again',
        ),
      },
      handler: async ({ body }, req, res) => {
        const saved = await saveBroker(deps, actorOf(req), body);
        res.status(saved.created ? 201 : 200).json({ ...saved.broker, handOver: saved.handOver });
      },
    }),

    upsert('product', 'Create or replace a product', productSchema, saveProduct),

    defineRoute({
      method: 'post',
      path: '/v1/marketing-texts/check',
      summary: 'Violations in a marketing text',
      roles: 'signed_in',
      request: { body: marketingTextSchema },
      responses: { 200: json(anyObject, 'violations with positions'), ...errors },
      handler: ({ body }, _req, res) => {
        res.json(
          checkMarketingText(body.text, {
            contractBacksLowRate: body.contractBacksLowRate,
            contractBacksFree: body.contractBacksFree,
            lenderNames: body.lenderNames,
          }),
        );
      },
    }),
  ];
}
