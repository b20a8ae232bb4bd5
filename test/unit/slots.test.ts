import { NoSlotError, Slots } from '../../src/platform/slots';

/** A task that runs until released, recording when it started. */
function held(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return {
    task: async () => {
      log.push(name);
      await done;
      return name;
    },
    release,
  };
}
const tick = () => new Promise<void>((r) => setImmediate(r));

describe('Slots', () => {
  test('runs at most `size` tasks at once, and the waiting ones in the order they came', async () => {
    const slots = new Slots(2);
    const log: string[] = [];
    const tasks = ['a', 'b', 'c', 'd'].map((n) => held(log, n));
    const runs = tasks.map((t) => slots.run(t.task, 10_000));
    await tick();
    expect(log).toEqual(['a', 'b']);
    expect(slots.load).toEqual({ running: 2, waiting: 2 });

    tasks[1].release();
    await tick();
    expect(log).toEqual(['a', 'b', 'c']);
    expect(slots.load).toEqual({ running: 2, waiting: 1 });

    tasks[0].release();
    tasks[2].release();
    tasks[3].release();
    expect(await Promise.all(runs)).toEqual(['a', 'b', 'c', 'd']);
    expect(slots.load).toEqual({ running: 0, waiting: 0 });
  });

  test('a wait that runs out of time fails with NoSlotError, leaves the queue, and never runs its task', async () => {
    jest.useFakeTimers();
    try {
      const slots = new Slots(1);
      const log: string[] = [];
      const first = held(log, 'first');
      const running = slots.run(first.task, 1_000);
      const late = held(log, 'late');
      const waiting = slots.run(late.task, 1_000);
      const refused = expect(waiting).rejects.toBeInstanceOf(NoSlotError);
      jest.advanceTimersByTime(1_000);
      await refused;
      expect(slots.load).toEqual({ running: 1, waiting: 0 });

      first.release();
      await running;
      expect(log).toEqual(['first']);
      expect(slots.load).toEqual({ running: 0, waiting: 0 });
    } finally {
      jest.useRealTimers();
    }
  });

  test('a task that throws gives its slot back', async () => {
    const slots = new Slots(1);
    await expect(
      slots.run(async () => {
        throw new Error('boom');
      }, 100),
    ).rejects.toThrow('boom');
    expect(slots.load).toEqual({ running: 0, waiting: 0 });
    await expect(slots.run(async () => 'next', 100)).resolves.toBe('next');
  });

  test('refuses a size below one', () => {
    expect(() => new Slots(0)).toThrow(RangeError);
  });
});
