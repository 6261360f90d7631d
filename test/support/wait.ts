/**
 * The two waits every test (and the benchmark) uses: no sleep-and-hope, every wait has a bound
 * and says what it waited for when the bound is reached. No dependencies beyond Node, so the
 * benchmark's own tsconfig can compile it too.
 */

export const WAIT_MS = 5000;

/** Rejects after `ms` with a message saying what was awaited. */
export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Resolves once `check` returns true, polling every `intervalMs`; rejects after `ms` naming the
 * condition, also when a check itself hangs. The polling stops with the wait, so a timed-out
 * wait leaves no loop running into the next test.
 */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = WAIT_MS, intervalMs = 10): Promise<void> {
  const deadline = Date.now() + ms;
  const timedOut = (): Error => new Error(`timed out after ${ms} ms waiting until ${what}`);
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw timedOut();
    const done = await within(Promise.resolve(check()), `a check of whether ${what}`, left).catch((error: unknown) => {
      throw Date.now() >= deadline ? timedOut() : error;
    });
    if (done) return;
    if (Date.now() >= deadline) throw timedOut();
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
}
