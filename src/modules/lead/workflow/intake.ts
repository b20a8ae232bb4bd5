import { ActivityFailure, ApplicationFailure, log, setHandler } from '@temporalio/workflow';
import { duplicateIntakeSignal, intakeUnconfirmedSignal } from '../messages';
import { commit } from './changes';
import type { CaseRun } from './state';
import { signalSender } from './verified-messages';
import { stillAsProjectedAtIntake } from './visibility';

/** Signals from the intake, after the case has started. */
export function registerIntakeSignals(run: CaseRun): void {
  setHandler(duplicateIntakeSignal, (arg) => {
    if (!signalSender(run, duplicateIntakeSignal.name, arg)) return;
    log.info('another intake of the same person joined this case', {
      caseId: run.state.caseId,
      channelId: arg.channelId,
    });
  });
  // A case its intake projected has no write of its own until consent or its deadline comes. If the
  // intake could not tell whether its rows committed, one now: it waits for the row, and fails the
  // case with case_never_committed when the row never comes (a workflow without its case ends).
  setHandler(intakeUnconfirmedSignal, async (arg) => {
    if (!signalSender(run, intakeUnconfirmedSignal.name, arg)) return;
    if (!stillAsProjectedAtIntake(run.state, run.intakeDeadline, run.coreWithdrawn)) return;
    try {
      await commit(run);
    } catch (err) {
      // The workflow fails with the refusal itself (case_never_committed), not its activity wrapper.
      throw err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
    }
  });
}
