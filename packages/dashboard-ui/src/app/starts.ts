/** The order a commit's loads leave in (`useLoad` in hooks.ts). */

/** A load to start: `first` ones (the top numbers, the chart) before the rest. */
export type Schedule = (first: boolean, start: () => void) => void;

/**
 * A scheduler that starts, in one deferred call (a microtask: after every effect of the commit
 * that scheduled them has run), each load scheduled since the last, the `first` ones before the
 * rest, each group in the order scheduled.
 */
export function batchedStarts(defer: (f: () => void) => void = queueMicrotask): Schedule {
  let batch: { first: boolean; start: () => void }[] = [];
  return (first, start) => {
    if (batch.length === 0)
      defer(() => {
        const due = batch;
        batch = [];
        for (const s of due) if (s.first) s.start();
        for (const s of due) if (!s.first) s.start();
      });
    batch.push({ first, start });
  };
}
