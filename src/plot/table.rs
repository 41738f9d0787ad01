//! A CSV file read back for plotting: named columns, typed access, clear errors.

use super::PlotError;
use std::path::Path;

pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<csv::StringRecord>,
}

impl Table {
    pub fn read(path: &Path) -> Result<Table, PlotError> {
        let fail = |e: csv::Error| PlotError::Input(format!("{}: {e}", path.display()));
        let (mut reader, columns) = crate::csv_input::open(path).map_err(fail)?;
        let rows = reader
            .records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(fail)?;
        if rows.is_empty() {
            return Err(PlotError::Input(format!("{} has no rows", path.display())));
        }
        Ok(Table { columns, rows })
    }

    pub fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }

    fn index(&self, column: &str) -> Result<usize, PlotError> {
        self.columns
            .iter()
            .position(|c| c == column)
            .ok_or_else(|| PlotError::Input(format!("no column {column:?}")))
    }

    /// The column's values as text, one per row.
    pub fn text(&self, column: &str) -> Result<Vec<String>, PlotError> {
        let index = self.index(column)?;
        Ok(self
            .rows
            .iter()
            .map(|row| row.get(index).unwrap_or("").to_string())
            .collect())
    }

    /// The column's values as numbers, one per row.
    pub fn numbers(&self, column: &str) -> Result<Vec<f64>, PlotError> {
        let index = self.index(column)?;
        self.rows
            .iter()
            .enumerate()
            .map(|(row, record)| {
                let text = record.get(index).unwrap_or("");
                text.parse::<f64>().map_err(|_| {
                    PlotError::Input(format!(
                        "row {}, column {column:?}: {text:?} is not a number",
                        row + 1
                    ))
                })
            })
            .collect()
    }
}
