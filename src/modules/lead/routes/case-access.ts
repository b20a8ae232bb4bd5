import type { Request } from 'express';
import type { CaseDeps } from '../service/cases';
import { assertMayRead, loadCaseRow } from '../service/read-access';
import { caseStateSchema } from '../schemas/leads';
import { actorOf } from '../../../platform/http/auth';
import { caseErrors, json } from '../../../platform/http/openapi';

/** What an action on a case answers. */
export const afterAction = { 200: json(caseStateSchema, 'the case after the action'), ...caseErrors };

/** How a route reaches a case its caller may see. */
export function caseAccess(deps: CaseDeps) {
  /** The case, once the caller may read it: 404 for an unknown case, 403 for another's. */
  const caseOf = async (req: Request, id: string) => {
    const row = await loadCaseRow(deps.db, id);
    assertMayRead(actorOf(req), row);
    return id;
  };

  /**
   * For an action the workflow itself authorises: `work` runs without reading the case row, and
   * only when it fails is the row read, so an unknown case answers 404 and another's case 403, as
   * `caseOf` would have before `work`; a refusal tells nothing of a case the caller may not see.
   */
  const authorisedByWorkflow = async <T>(req: Request, id: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      await caseOf(req, id);
      throw err;
    }
  };

  return { caseOf, authorisedByWorkflow };
}
