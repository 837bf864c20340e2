/** `/api/v1/anomaly`'s two periods; the pageviews of each come from the Query API engine. */
const WEEK_MS = 7 * 86_400_000;
const HOUR_MS = 3_600_000;

/** This hour so far, and the same elapsed span of the same hour 7 days earlier (never the full hour). */
export function anomalyPeriods(now: number): { current: { from: Date; to: Date }; previous: { from: Date; to: Date } } {
  const hourStart = Math.floor(now / HOUR_MS) * HOUR_MS;
  return {
    current: { from: new Date(hourStart), to: new Date(now) },
    previous: { from: new Date(hourStart - WEEK_MS), to: new Date(now - WEEK_MS) },
  };
}
