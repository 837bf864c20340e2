/** CSV export: the Query API's own CSV (`Accept: text/csv`) of a panel's query, saved as a file. */
import { type QueryBody, queryCsv } from '../api';

export async function downloadCsv(body: QueryBody, fileName: string): Promise<void> {
  const blob = await queryCsv(body);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
