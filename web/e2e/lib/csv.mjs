// Reads the hub's CSV exports as a French spreadsheet would: checks the UTF-8 byte order mark and
// the CRLF line endings, splits `;`-separated cells (RFC 4180 quotes), and gives the rows as
// objects keyed by the header's names.

import assert from 'node:assert/strict';

/** `{header, rows}` of a CSV export's bytes; each row `{column name: cell}`. */
export function parseCsv(bytes) {
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'a UTF-8 byte order mark');
  const text = bytes.subarray(3).toString('utf8');
  assert.ok(text.endsWith('\r\n'), 'the last line ends with CRLF');
  const lines = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ';') {
      row.push(cell);
      cell = '';
    } else if (c === '\r') {
      assert.equal(text[i + 1], '\n', 'lines end with CRLF');
      i += 1;
      row.push(cell);
      lines.push(row);
      row = [];
      cell = '';
    } else {
      assert.notEqual(c, '\n', 'lines end with CRLF');
      cell += c;
    }
  }
  const [header, ...body] = lines;
  for (const line of body) assert.equal(line.length, header.length, `a cell per column: ${line.join(';')}`);
  return { header, rows: body.map((line) => Object.fromEntries(header.map((name, i) => [name, line[i]]))) };
}
