//! The hub's CSV files, as agents open them in a French spreadsheet: every cell made safe by
//! [`cell`] (the zips' `manifest.csv` too), and the portal's exports ([`Csv`]): UTF-8 with a
//! byte order mark, `;`-separated, CRLF line endings.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;

/// What starts a UTF-8 file that a spreadsheet must not read as Windows-1252 (Excel guesses
/// the encoding of a CSV file without one, and mangles every accent).
pub const BOM: &[u8] = b"\xEF\xBB\xBF";
/// Cells are `;`-separated: the list separator of a French spreadsheet, where `,` is the
/// decimal comma.
pub const SEPARATOR: char = ';';
/// Lines end with CRLF, as RFC 4180 says and as spreadsheets write CSV themselves.
pub const LINE_END: &str = "\r\n";

/// A text cell of a `;`-separated CSV file that agents open in a spreadsheet, from a value
/// someone else chose (an operator's file name, a dossier number, a person's name). Every CSV
/// the hub writes goes through it.
///
/// - A value starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`
///   (OWASP's CSV-injection rule): a spreadsheet shows it as text instead of running it as a
///   formula (`=HYPERLINK(…)`, `=cmd|…`).
/// - A value holding `;`, `,`, `"` or a line break is quoted (RFC 4180, `"` doubled), so that
///   no separator — `,` is the one of an English-language spreadsheet — starts a new cell,
///   which the first rule would not see.
pub fn cell(value: &str) -> String {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let cell = if formula { format!("'{value}") } else { value.to_owned() };
    if cell.contains([';', ',', '"', '\n', '\r']) { format!("\"{}\"", cell.replace('"', "\"\"")) } else { cell }
}

/// A date-time as a French spreadsheet reads one, in Paris time: `09/06/2021 20:10`.
pub fn date_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Paris).format("%d/%m/%Y %H:%M").to_string()
}

/// A date as a French spreadsheet reads one, in Paris time: `09/06/2021`.
pub fn date(t: DateTime<Utc>) -> String {
    t.with_timezone(&Paris).format("%d/%m/%Y").to_string()
}

/// A CSV file written as its rows are given: the byte order mark, the header line, then one
/// line per row, every cell through [`cell`]. The use case gives the rows; the edge sends
/// [`Csv::into_bytes`].
#[derive(Clone, Debug)]
pub struct Csv {
    text: String,
    rows: usize,
}

impl Csv {
    pub fn new(header: &[&str]) -> Self {
        let mut csv = Self { text: String::new(), rows: 0 };
        csv.line(header.iter().copied());
        csv
    }

    /// Adds a row: its cells, as text (an empty string for nothing).
    pub fn row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.line(cells);
        self.rows += 1;
    }

    fn line<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) {
        for (i, value) in cells.into_iter().enumerate() {
            if i > 0 {
                self.text.push(SEPARATOR);
            }
            self.text.push_str(&cell(value.as_ref()));
        }
        self.text.push_str(LINE_END);
    }

    /// The rows written, the header not counted.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The size of the file, in bytes.
    pub fn len(&self) -> usize {
        BOM.len() + self.text.len()
    }

    /// Never: a file has at least its byte order mark and header line.
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn into_bytes(self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.len());
        bytes.extend_from_slice(BOM);
        bytes.extend_from_slice(self.text.as_bytes());
        bytes
    }
}

/// A CSV file and the name to offer it under.
#[derive(Clone, Debug)]
pub struct CsvExport {
    pub file_name: String,
    pub csv: Csv,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_never_start_a_formula_nor_a_new_cell() {
        for (value, cell) in [
            ("acte.pdf", "acte.pdf"),
            ("=HYPERLINK(\"http://evil.example\")", "\"'=HYPERLINK(\"\"http://evil.example\"\")\""),
            ("+33 1 23.pdf", "'+33 1 23.pdf"),
            ("-2+3.pdf", "'-2+3.pdf"),
            ("@SUM(A1).pdf", "'@SUM(A1).pdf"),
            ("\tx.pdf", "'\tx.pdf"),
            ("\rx.pdf", "\"'\rx.pdf\""),
            ("a;=1+1.pdf", "\"a;=1+1.pdf\""),
            ("a,=1+1.pdf", "\"a,=1+1.pdf\""),
            ("DGS-0001/=cmd.pdf", "DGS-0001/=cmd.pdf"),
            ("x-y.pdf", "x-y.pdf"),
        ] {
            assert_eq!(super::cell(value), cell, "{value:?}");
        }
    }

    #[test]
    fn a_file_is_a_bom_a_header_and_one_crlf_line_per_row_every_cell_made_safe() {
        let mut csv = Csv::new(&["N°", "Nom"]);
        csv.row(["DGS-1", "Élodie"]);
        csv.row(["=1+1", "a;b\nc"]);
        csv.row(["", ""]);
        assert_eq!(csv.rows(), 3);
        let len = csv.len();
        let bytes = csv.into_bytes();
        assert_eq!(bytes.len(), len);
        assert_eq!(&bytes[..3], [0xEF, 0xBB, 0xBF]);
        assert_eq!(std::str::from_utf8(&bytes[3..]).unwrap(), "N°;Nom\r\nDGS-1;Élodie\r\n'=1+1;\"a;b\nc\"\r\n;\r\n");
    }

    #[test]
    fn dates_are_in_paris_time_as_a_french_spreadsheet_reads_them() {
        let summer = crate::domain::parse_time("2021-06-09T18:10:00Z").unwrap();
        let winter = crate::domain::parse_time("2026-01-31T23:30:00Z").unwrap();
        assert_eq!((date_time(summer), date(summer)), ("09/06/2021 20:10".into(), "09/06/2021".into()));
        assert_eq!(date_time(winter), "01/02/2026 00:30", "UTC+1 in winter: the next day");
    }
}
