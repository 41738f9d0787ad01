//! Reading back a CSV this program wrote (a sweep's rows): the reader and the column names,
//! which the plots and replays look their columns up by.

use std::fs::File;
use std::path::Path;

/// Opens the CSV at `path` and reads its header row.
pub fn open(path: &Path) -> Result<(csv::Reader<File>, Vec<String>), csv::Error> {
    let mut reader = csv::Reader::from_path(path)?;
    let columns = reader.headers()?.iter().map(String::from).collect();
    Ok((reader, columns))
}
