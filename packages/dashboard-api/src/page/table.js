// One table filler for the pages: a header row, then a row per item; cells are text (never
// HTML) or DOM nodes. `numbers`: the dashboard's panels, a name column then right-aligned figures.
export function fillTable(table, head, rows, { empty = 'none yet', numbers = false } = {}) {
  table.replaceChildren();
  const tr = table.insertRow();
  for (const [i, h] of head.entries()) {
    const th = document.createElement('th');
    th.textContent = h;
    if (numbers && i > 0) th.className = 'n';
    tr.append(th);
  }
  if (rows.length === 0) {
    const cell = table.insertRow().insertCell();
    cell.colSpan = head.length;
    cell.className = 'empty';
    cell.textContent = empty;
  }
  for (const row of rows) {
    const r = table.insertRow();
    for (const [i, value] of row.entries()) {
      const cell = r.insertCell();
      if (value instanceof Node) cell.append(value);
      else cell.textContent = String(value);
      if (numbers) {
        cell.className = i === 0 ? 'name' : 'n';
        if (i === 0) cell.title = String(value);
      }
    }
  }
}
