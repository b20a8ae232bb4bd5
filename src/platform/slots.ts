/** A wait for a slot that ran out of time. */
export class NoSlotError extends Error {
  constructor(waitedMs: number) {
    super(`no slot came free within ${waitedMs} ms`);
    this.name = 'NoSlotError';
  }
}

/**
 * At most `size` tasks at once; the others wait their turn, first come first served, each for at
 * most the time it allows. Used to keep work that may hold a pooled connection for long (an intake
 * waiting on Temporal inside its transaction) from taking the whole pool.
 */
export class Slots {
  private used = 0;
  private readonly queue: { grant: () => void; timer: NodeJS.Timeout }[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('a Slots needs at least one slot');
  }

  /** Tasks running now and tasks waiting for a slot. */
  get load(): { running: number; waiting: number } {
    return { running: this.used, waiting: this.queue.length };
  }

  /** Runs `task` in a slot, waiting at most `waitMs` for one; throws NoSlotError when none came free. */
  async run<T>(task: () => Promise<T>, waitMs: number): Promise<T> {
    await this.acquire(waitMs);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private acquire(waitMs: number): Promise<void> {
    if (this.used < this.size) {
      this.used += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          clearTimeout(entry.timer);
          resolve();
        },
        timer: setTimeout(() => {
          const at = this.queue.indexOf(entry);
          if (at >= 0) this.queue.splice(at, 1);
          reject(new NoSlotError(waitMs));
        }, waitMs),
      };
      this.queue.push(entry);
    });
  }

  private release(): void {
    // The slot passes straight to the next waiter, so `used` stays as it is.
    const next = this.queue.shift();
    if (next) next.grant();
    else this.used -= 1;
  }
}
