import { ApplicationFailure } from '@temporalio/common';
import type { EraseInput } from '../../src/modules/lead/activities/contract';
import { ErasureGroupCommit, type CaseErasure } from '../../src/modules/lead/activities/erasure';

const anErasure = (caseId: string): EraseInput => ({
  caseId,
  eventId: `erase:${caseId}`,
  reason: 'consent_withdrawn',
  at: '2026-03-01T08:00:00.000Z',
});

/** A database stand-in: records each batch it is given and answers when the test says so. */
function fakeDatabase() {
  const batches: { caseIds: string[]; answer(results: CaseErasure[]): void; fail(err: Error): void }[] = [];
  const eraseBatch = jest.fn(
    (inputs: EraseInput[]) =>
      new Promise<CaseErasure[]>((resolve, reject) => {
        batches.push({ caseIds: inputs.map((i) => i.caseId), answer: resolve, fail: reject });
      }),
  );
  return { eraseBatch, batches };
}

/** Lets promise callbacks and the group commit's turn between batches run (no timers involved). */
const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('ErasureGroupCommit', () => {
  test('an erasure made while none is running goes after one turn of the event loop, with those made in the same turn, and no timer', async () => {
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    try {
      const db = fakeDatabase();
      const groupCommit = new ErasureGroupCommit(db.eraseBatch);
      const results = ['c1', 'c2', 'c3'].map((id) => groupCommit.erase(anErasure(id)));
      expect(db.batches).toHaveLength(0); // not yet: the turn is not over
      await settle();
      expect(db.batches.map((b) => b.caseIds)).toEqual([['c1', 'c2', 'c3']]);
      expect(setTimeoutSpy).not.toHaveBeenCalled();
      db.batches[0].answer([{ erased: true }, { erased: true }, { erased: true }]);
      await expect(Promise.all(results)).resolves.toEqual([{ erased: true }, { erased: true }, { erased: true }]);
    } finally {
      setTimeoutSpy.mockRestore();
    }
  });

  test('erasures made while a batch runs wait for it and then go together in one batch', async () => {
    const db = fakeDatabase();
    const groupCommit = new ErasureGroupCommit(db.eraseBatch);
    const first = groupCommit.erase(anErasure('c1'));
    await settle();
    const waiting = ['c2', 'c3', 'c4'].map((id) => groupCommit.erase(anErasure(id)));
    await settle();
    expect(db.batches).toHaveLength(1);

    db.batches[0].answer([{ erased: true }]);
    await first;
    await settle();
    expect(db.batches.map((b) => b.caseIds)).toEqual([['c1'], ['c2', 'c3', 'c4']]);
    db.batches[1].answer([{ erased: true }, { erased: true }, { erased: true }]);
    await expect(Promise.all(waiting)).resolves.toEqual([{ erased: true }, { erased: true }, { erased: true }]);
    expect(groupCommit.stats()).toEqual({ batches: 2, cases: 4, meanBatchSize: 2, peakInFlight: 1 });
  });

  test('callers answered by a batch who erase again at once join those already waiting, instead of going alone in turns', async () => {
    const db = fakeDatabase();
    const groupCommit = new ErasureGroupCommit(db.eraseBatch);
    // Like the worker's activity slots: an async activity, and each slot starts its next erasure as soon as one is answered.
    const activity = async (caseId: string) => groupCommit.erase(anErasure(caseId));
    const slot = async (caseIds: string[]) => {
      for (const caseId of caseIds) await activity(caseId);
    };
    const slots = Promise.all([slot(['c1', 'c5']), slot(['c2', 'c6']), slot(['c3', 'c7']), slot(['c4', 'c8'])]);
    for (let answered = 0; ; answered++) {
      await settle();
      if (answered === db.batches.length) break;
      db.batches[answered].answer(db.batches[answered].caseIds.map(() => ({ erased: true })));
    }
    await slots;
    expect(db.batches.map((b) => b.caseIds)).toEqual([
      ['c1', 'c2', 'c3', 'c4'],
      ['c5', 'c6', 'c7', 'c8'],
    ]);
  });

  test('a batch carries at most maxBatch erasures; the rest follow in the next ones', async () => {
    const db = fakeDatabase();
    const groupCommit = new ErasureGroupCommit(db.eraseBatch, { maxBatch: 2 });
    const all = ['c1', 'c2', 'c3', 'c4', 'c5'].map((id) => groupCommit.erase(anErasure(id)));
    for (let i = 0; i < 3; i++) {
      await settle();
      db.batches[i].answer(db.batches[i].caseIds.map(() => ({ erased: true })));
    }
    await Promise.all(all);
    expect(db.batches.map((b) => b.caseIds)).toEqual([['c1', 'c2'], ['c3', 'c4'], ['c5']]);
  });

  test('many erasures made together are shared between two batches that run at once', async () => {
    const db = fakeDatabase();
    const groupCommit = new ErasureGroupCommit(db.eraseBatch, { lanes: 2, splitAt: 20 });
    const ids = Array.from({ length: 100 }, (_, i) => `c${i}`);
    const all = ids.map((id) => groupCommit.erase(anErasure(id)));
    await settle();
    // Both in flight before either is answered.
    expect(db.batches.map((b) => b.caseIds)).toEqual([ids.slice(0, 50), ids.slice(50)]);
    db.batches[1].answer(db.batches[1].caseIds.map(() => ({ erased: true })));
    db.batches[0].answer(db.batches[0].caseIds.map(() => ({ erased: true })));
    await expect(Promise.all(all)).resolves.toHaveLength(100);
    expect(groupCommit.stats()).toEqual({ batches: 2, cases: 100, meanBatchSize: 50, peakInFlight: 2 });
  });

  test('callers answered by one batch go again while the other batch still runs: the two take turns', async () => {
    const db = fakeDatabase();
    const groupCommit = new ErasureGroupCommit(db.eraseBatch, { lanes: 2, splitAt: 2 });
    const slot = async (caseIds: string[]) => {
      for (const caseId of caseIds) await groupCommit.erase(anErasure(caseId));
    };
    const slots = Promise.all([slot(['a1', 'a2']), slot(['b1', 'b2']), slot(['c1', 'c2']), slot(['d1', 'd2'])]);
    await settle();
    expect(db.batches.map((b) => b.caseIds)).toEqual([
      ['a1', 'b1'],
      ['c1', 'd1'],
    ]);
    db.batches[0].answer([{ erased: true }, { erased: true }]);
    await settle();
    // The second batch has not answered, and the first one's callers are already in a third.
    expect(db.batches.map((b) => b.caseIds)).toEqual([
      ['a1', 'b1'],
      ['c1', 'd1'],
      ['a2', 'b2'],
    ]);
    db.batches[1].answer([{ erased: true }, { erased: true }]);
    await settle();
    expect(db.batches.map((b) => b.caseIds)).toEqual([
      ['a1', 'b1'],
      ['c1', 'd1'],
      ['a2', 'b2'],
      ['c2', 'd2'],
    ]);
    db.batches[2].answer([{ erased: true }, { erased: true }]);
    db.batches[3].answer([{ erased: true }, { erased: true }]);
    await slots;
  });

  test('a few erasures made while a batch runs wait for it; as many as splitAt start a second batch at once', async () => {
    const db = fakeDatabase();
    const groupCommit = new ErasureGroupCommit(db.eraseBatch, { lanes: 2, splitAt: 3 });
    const first = groupCommit.erase(anErasure('c1'));
    await settle();
    const few = ['c2', 'c3'].map((id) => groupCommit.erase(anErasure(id)));
    await settle();
    expect(db.batches).toHaveLength(1);
    const third = groupCommit.erase(anErasure('c4'));
    await settle();
    expect(db.batches.map((b) => b.caseIds)).toEqual([['c1'], ['c2', 'c3', 'c4']]);
    // Never more than `lanes` at once: these wait for one of the two.
    const more = ['c5', 'c6', 'c7', 'c8'].map((id) => groupCommit.erase(anErasure(id)));
    await settle();
    expect(db.batches).toHaveLength(2);
    db.batches[0].answer([{ erased: true }]);
    await settle();
    expect(db.batches.map((b) => b.caseIds)).toEqual([['c1'], ['c2', 'c3', 'c4'], ['c5', 'c6', 'c7', 'c8']]);
    db.batches[1].answer([{ erased: true }, { erased: true }, { erased: true }]);
    db.batches[2].answer([{ erased: true }, { erased: true }, { erased: true }, { erased: true }]);
    await Promise.all([first, ...few, third, ...more]);
  });

  test('with one lane, batches never overlap', async () => {
    const db = fakeDatabase();
    const groupCommit = new ErasureGroupCommit(db.eraseBatch, { lanes: 1, splitAt: 2 });
    const all = Array.from({ length: 30 }, (_, i) => groupCommit.erase(anErasure(`c${i}`)));
    await settle();
    expect(db.batches.map((b) => b.caseIds.length)).toEqual([30]);
    db.batches[0].answer(db.batches[0].caseIds.map(() => ({ erased: true })));
    await Promise.all(all);
  });

  test('refuses settings that would never run a batch', () => {
    const db = fakeDatabase();
    expect(() => new ErasureGroupCommit(db.eraseBatch, { lanes: 0 })).toThrow(RangeError);
    expect(() => new ErasureGroupCommit(db.eraseBatch, { maxBatch: 0 })).toThrow(RangeError);
  });

  test("each caller gets its own case's result, and a case that does not exist fails only its caller", async () => {
    const db = fakeDatabase();
    const groupCommit = new ErasureGroupCommit(db.eraseBatch);
    const [erased, alreadyErased, missing] = ['c1', 'c2', 'c3'].map((id) => groupCommit.erase(anErasure(id)));
    await settle();
    db.batches[0].answer([{ erased: true }, { erased: false }, { notFound: true }]);

    await expect(erased).resolves.toEqual({ erased: true });
    await expect(alreadyErased).resolves.toEqual({ erased: false });
    const failure = await missing.then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'case_not_found', nonRetryable: true });
  });

  test('when a batch fails, every caller in it gets the error, and later erasures still run', async () => {
    const db = fakeDatabase();
    const groupCommit = new ErasureGroupCommit(db.eraseBatch);
    const doomed = ['c1', 'c2'].map((id) => groupCommit.erase(anErasure(id)));
    await settle();
    const lost = new Error('connection terminated');
    db.batches[0].fail(lost);
    for (const call of doomed) await expect(call).rejects.toBe(lost);

    const later = groupCommit.erase(anErasure('c3'));
    await settle();
    expect(db.batches.map((b) => b.caseIds)).toEqual([['c1', 'c2'], ['c3']]);
    db.batches[1].answer([{ erased: true }]);
    await expect(later).resolves.toEqual({ erased: true });
  });

  test('a batch that answers for the wrong number of cases fails its callers instead of guessing', async () => {
    const db = fakeDatabase();
    const groupCommit = new ErasureGroupCommit(db.eraseBatch);
    const call = groupCommit.erase(anErasure('c1'));
    await settle();
    db.batches[0].answer([]);
    await expect(call).rejects.toThrow('an erasure batch of 1 returned 0 results');
  });
});
