//! A CSV the binary wrote, read back by column name, and written out again after an edit.
//! Shared by the test binaries that read sweeps; each uses a part of it.
#![allow(dead_code)]

use std::path::Path;

/// A CSV file: its header and its rows as text.
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    pub fn read(path: &Path) -> Csv {
        let mut reader = csv::Reader::from_path(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let header = reader
            .headers()
            .expect("a header")
            .iter()
            .map(String::from)
            .collect();
        let rows = reader
            .records()
            .map(|r| r.expect("a CSV record").iter().map(String::from).collect())
            .collect();
        Csv { header, rows }
    }

    pub fn write(&self, path: &Path) {
        let mut writer = csv::Writer::from_path(path).expect("write CSV");
        writer.write_record(&self.header).unwrap();
        for row in &self.rows {
            writer.write_record(row).unwrap();
        }
        writer.flush().unwrap();
    }

    /// Index of the column called `name`, which must be the only one of that name.
    pub fn column(&self, name: &str) -> usize {
        let mut found = self.header.iter().enumerate().filter(|(_, c)| *c == name);
        let (index, _) = found
            .next()
            .unwrap_or_else(|| panic!("no column {name:?} in {:?}", self.header));
        assert!(
            found.next().is_none(),
            "two columns are called {name:?}: {:?}",
            self.header
        );
        index
    }

    pub fn get(&self, row: usize, name: &str) -> &str {
        &self.rows[row][self.column(name)]
    }

    pub fn set(&mut self, row: usize, name: &str, value: &str) {
        let column = self.column(name);
        self.rows[row][column] = value.to_string();
    }

    /// The values of the column called `name`.
    pub fn text(&self, name: &str) -> Vec<&str> {
        let index = self.column(name);
        self.rows.iter().map(|row| row[index].as_str()).collect()
    }

    /// The values of the column called `name`, as numbers.
    pub fn numbers(&self, name: &str) -> Vec<f64> {
        let index = self.column(name);
        self.rows
            .iter()
            .enumerate()
            .map(|(i, row)| {
                row[index]
                    .parse()
                    .unwrap_or_else(|_| panic!("row {i}, {name}: {:?} is no number", row[index]))
            })
            .collect()
    }
}
