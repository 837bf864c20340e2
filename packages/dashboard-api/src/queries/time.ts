/** ClickHouse DateTime64(3) text for a bind parameter. */
export function chTime(date: Date): string {
  return date.toISOString().replace('T', ' ').slice(0, 23);
}
