/**
 * One run chain owns a case's workflow ID: the chain whose activities first reached the database
 * under that ID. Someone with access to Temporal who terminates a case and starts it again from
 * its own sealed input (copied from the history) gets a run of a new chain; the worker refuses
 * every activity of it (src/platform/worker/run-claims.ts), so it writes nothing, and the retention sweep
 * takes it as not the case's own and erases the case on time.
 *
 * Imported by workflows and by the worker alike: constants only.
 */

/** The activity header carrying the first run ID of the scheduling workflow's chain. */
export const RUN_CHAIN_HEADER = 'lce-run-chain';

/** The failure type of an activity refused because its run does not own the workflow ID. */
export const NOT_THE_CASE_RUN = 'not_the_case_run';

/** The workflow types whose workflow ID is a case's (or a complaint's): their runs must own it. */
export const CLAIMED_WORKFLOW_TYPES: readonly string[] = ['leadCase', 'complaintCase'];
