// A small RFC 4180 CSV reader: comma separated, fields optionally in double quotes (which may hold
// commas, quotes doubled as "", and line breaks), CRLF or LF line ends, optional UTF-8 BOM.
import { DatasetError } from './errors.js';

export interface CsvRow {
  fields: string[];
  /** 1-based line on which the row starts */
  line: number;
}

/** Rows of `text`; blank lines are skipped. `name` (a path) appears in errors. */
export function parseCsv(text: string, name = '<csv>'): CsvRow[] {
  const rows: CsvRow[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let quotedAny = false;
    for (;;) {
      let value: string;
      if (text[i] === '"') {
        quotedAny = true;
        const qLine = line;
        let s = '';
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new DatasetError(`${name}: unterminated quoted field starting on line ${qLine}`);
          const chunk = text.slice(i, q);
          for (let k = 0; k < chunk.length; k++) if (chunk[k] === '\n') line++;
          s += chunk;
          if (text[q + 1] === '"') {
            s += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        value = s;
        const c = text[i];
        if (i < n && c !== ',' && c !== '\n' && c !== '\r') {
          throw new DatasetError(
            `${name}: line ${line}: unexpected character ${JSON.stringify(c)} after a closing quote (quotes inside a field must be doubled)`,
          );
        }
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === 44 || c === 10 || c === 13) break; // , \n \r
          j++;
        }
        value = text.slice(i, j);
        i = j;
      }
      fields.push(value);
      if (text[i] === ',') {
        i++;
        continue;
      }
      // end of row: \r\n, \n, \r or end of text
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    if (!(fields.length === 1 && fields[0] === '' && !quotedAny)) rows.push({ fields, line: start });
  }
  return rows;
}
