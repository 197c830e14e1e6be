/** Polls `load` every `ms` while the page is mounted and the tab visible; nothing runs once the page is closed. */
import { useEffect, useState } from 'preact/hooks';

export function usePoll<T>(load: () => Promise<T>, ms: number, deps: unknown[] = []): { data?: T; error?: string; refresh: () => void } {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      load().then(
        (data) => !stopped && setState({ data }),
        (e: unknown) => !stopped && setState((s) => ({ ...s, error: e instanceof Error ? e.message : String(e) })),
      ).finally(() => {
        if (!stopped && ms > 0) timer = setTimeout(run, document.hidden ? ms * 5 : ms);
      });
    };
    run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { ...state, refresh: () => setTick((t) => t + 1) };
}
