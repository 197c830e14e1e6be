/**
 * --model-load-thread-count: loads run concurrently, at most `concurrency` at a time, in the order
 * given. One queue for the three places that load many models (start-up, explicit start-up models,
 * a poll's changes).
 */
export async function runBounded<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}
