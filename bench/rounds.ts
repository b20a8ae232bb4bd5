/** Runs the two sides in rounds, A then B, then B then A, so drift and others' load hit both alike. */
export async function alternate(
  rounds: number,
  a: (round: number) => Promise<void>,
  b: (round: number) => Promise<void>,
): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      await a(r);
      await b(r);
    } else {
      await b(r);
      await a(r);
    }
  }
}

/** Round `round`'s part of `total` spread over `rounds`, the remainder going to the first rounds. */
export const share = (total: number, rounds: number, round: number) =>
  Math.floor(total / rounds) + (round < total % rounds ? 1 : 0);
