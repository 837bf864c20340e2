import { describe, expect, it } from 'vitest';
import { backoffMs, retry } from './retry.ts';

describe('backoffMs', () => {
  it('doubles its ceiling per attempt up to the cap, and never waits less than half of it', () => {
    for (let i = 0; i < 200; i++) {
      const first = backoffMs(0);
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThanOrEqual(100);
      const fourth = backoffMs(3, { baseMs: 10 });
      expect(fourth).toBeGreaterThanOrEqual(40);
      expect(fourth).toBeLessThanOrEqual(80);
      const capped = backoffMs(40, { maxMs: 2000 });
      expect(capped).toBeGreaterThanOrEqual(1000);
      expect(capped).toBeLessThanOrEqual(2000);
    }
  });

  it('is jittered: instances that failed together spread out', () => {
    const waits = new Set(Array.from({ length: 50 }, () => backoffMs(6)));
    expect(waits.size).toBeGreaterThan(10);
  });
});

describe('retry', () => {
  it('retries until the attempt succeeds, telling each failure', async () => {
    let calls = 0;
    const told: number[] = [];
    const value = await retry(
      async () => {
        if (++calls < 4) throw new Error(`fail ${calls}`);
        return 'ok';
      },
      { baseMs: 1, onRetry: (_e, attempt) => told.push(attempt) },
    );
    expect(value).toBe('ok');
    expect(told).toEqual([0, 1, 2]);
  });

  it('throws at once an error that is not retriable', async () => {
    let calls = 0;
    const attempt = async () => {
      calls++;
      throw Object.assign(new Error('bad'), { retriable: false });
    };
    await expect(retry(attempt, { baseMs: 1, retriable: (e) => (e as { retriable: boolean }).retriable })).rejects.toThrow('bad');
    expect(calls).toBe(1);
  });

  it('gives up after its deadline with the last error', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          throw new Error(`attempt ${++calls}`);
        },
        { baseMs: 5, maxMs: 5, deadlineMs: 60 },
      ),
    ).rejects.toThrow(/attempt \d+/);
    expect(calls).toBeGreaterThan(2);
  });

  it('stops when aborted, and when the step between attempts rejects', async () => {
    const controller = new AbortController();
    const aborted = retry(
      async () => {
        throw new Error('down');
      },
      { baseMs: 60_000, signal: controller.signal },
    );
    controller.abort();
    await expect(aborted).rejects.toThrow('down');
    await expect(
      retry(
        async () => {
          throw new Error('down');
        },
        {
          baseMs: 1,
          between: async () => {
            throw new Error('partition lost');
          },
        },
      ),
    ).rejects.toThrow('partition lost');
  });
});
