import type { DataSource } from 'typeorm';
import { Slots } from '../../../platform/slots';

/**
 * An intake's transaction stays open while Temporal starts its workflow (up to 5 s when Temporal is
 * slow), holding a pooled connection. Intakes may hold all but this many of the pool's
 * connections, so reads, case actions and /readyz still get one while intakes wait on Temporal.
 */
const POOL_RESERVE = 2;
/** How long an intake waits for its turn before it is refused with `intake_busy` (retryable). */
export const INTAKE_SLOT_WAIT_MS = 5_000;
const intakeSlots = new WeakMap<DataSource, Slots>();

/** The intake slots of a connection pool: its size less POOL_RESERVE, at least one. */
export function intakeSlotsFor(db: DataSource): Slots {
  let slots = intakeSlots.get(db);
  if (!slots) {
    const poolMax = Number((db.options as { extra?: { max?: number } }).extra?.max ?? 10);
    slots = new Slots(Math.max(1, poolMax - POOL_RESERVE));
    intakeSlots.set(db, slots);
  }
  return slots;
}
