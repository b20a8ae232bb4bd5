import type { DataSource } from 'typeorm';
import type { Config } from '../../../platform/config';
import {
  addToBlacklist,
  checkBlacklist,
  getNotice,
  listNotices,
  publishNotice,
  recordLenderApplications,
  removeFromBlacklist,
} from '../service/compliance-data';
import { actorOf } from '../../../platform/http/auth';
import { anyObject, errors, json, problem } from '../../../platform/http/openapi';
import { defineRoute, type Route } from '../../../platform/http/route';
import {
  blacklistAddSchema,
  blacklistCheckSchema,
  blacklistRemoveSchema,
  lenderApplicationsSchema,
  noticePublishSchema,
  noticeVersionParams,
} from '../schemas';

/**
 * Consent notice versions (everyone signed in reads them; compliance publishes), the blacklist (risk
 * officers and compliance), and lenders' application reports for the multi-lender rule.
 */
export function complianceDataRoutes(deps: { db: DataSource; cfg: Config }): Route[] {
  return [...consentNoticeRoutes(deps), ...blacklistRoutes(deps), ...lenderApplicationRoutes(deps)];
}

/** Consent notice versions: everyone signed in reads them; compliance publishes. */
function consentNoticeRoutes(deps: { db: DataSource; cfg: Config }): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/consent-notices',
      summary: 'Published consent notice versions, newest first (without their texts)',
      roles: 'signed_in',
      responses: { 200: json(anyObject, 'items'), ...errors },
      handler: async (_input, _req, res) => {
        res.json(await listNotices(deps.db));
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/consent-notices/{version}',
      summary: 'One consent notice version with its text and content hash',
      roles: 'signed_in',
      request: { params: noticeVersionParams },
      responses: { 200: json(anyObject, 'the notice'), ...errors, 404: problem('no such version') },
      handler: async ({ params }, _req, res) => {
        res.json(await getNotice(deps.db, params.version));
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/consent-notices',
      summary: 'Publish a consent notice version; a published text never changes (audited)',
      roles: ['compliance'],
      request: { body: noticePublishSchema },
      responses: {
        201: json(anyObject, 'published'),
        200: json(anyObject, 'the same version and text again'),
        ...errors,
        409: problem('the version exists with another text'),
      },
      handler: async ({ body }, req, res) => {
        const { created, notice } = await publishNotice(deps.db, actorOf(req), body);
        res.status(created ? 201 : 200).json(notice);
      },
    }),
  ];
}

/** The blacklist: added to, removed from, checked (risk officers and compliance). */
function blacklistRoutes(deps: { db: DataSource; cfg: Config }): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/blacklist',
      summary: 'List a person’s ID number and/or phone (stored as blind indexes) with a reason code (audited)',
      roles: ['risk_officer', 'compliance'],
      request: { body: blacklistAddSchema },
      responses: { 200: json(anyObject, 'what was added and what was listed already'), ...errors },
      handler: async ({ body }, req, res) => {
        res.json(await addToBlacklist(deps.db, deps.cfg.BLIND_INDEX_KEY, actorOf(req), body.person, body.reason));
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/blacklist/remove',
      summary: 'Take a person off the blacklist, with a reason code (audited)',
      roles: ['risk_officer', 'compliance'],
      request: { body: blacklistRemoveSchema },
      responses: { 200: json(anyObject, 'what was removed'), ...errors },
      handler: async ({ body }, req, res) => {
        res.json(await removeFromBlacklist(deps.db, deps.cfg.BLIND_INDEX_KEY, actorOf(req), body.person, body.reason));
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/blacklist/check',
      summary: 'Whether a person is listed, and why (audited)',
      roles: ['risk_officer', 'compliance'],
      request: { body: blacklistCheckSchema },
      responses: { 200: json(anyObject, 'listed, per kind'), ...errors },
      handler: async ({ body }, req, res) => {
        res.json(await checkBlacklist(deps.db, deps.cfg.BLIND_INDEX_KEY, actorOf(req), body.person));
      },
    }),
  ];
}

/** Lenders’ application reports, for the multi-lender rule. */
function lenderApplicationRoutes(deps: { db: DataSource; cfg: Config }): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/lender-applications',
      summary:
        'Record applications people made at lenders (ID numbers stored as blind indexes), for the multi-lender rule; a repeat counts once (audited)',
      roles: ['risk_officer', 'admin'],
      request: { body: lenderApplicationsSchema },
      responses: { 200: json(anyObject, 'recorded and duplicates'), ...errors },
      handler: async ({ body }, req, res) => {
        res.json(await recordLenderApplications(deps.db, deps.cfg.BLIND_INDEX_KEY, actorOf(req), body.applications));
      },
    }),
  ];
}
