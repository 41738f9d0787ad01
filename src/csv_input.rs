//! Reading back a CSV this program wrote (a sweep's rows): the reader and the column names,
//! which the plots and replays look their columns up by.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Opens the CSV at `path` and reads its header row.
pub fn open(path: &Path) -> Result<(csv::Reader<File>, Vec<String>), csv::Error> {
    read(File::open(path)?)
}

/// Reads the header row of the CSV text `input`; the reader is left at the first data row.
pub fn read<R: Read>(input: R) -> Result<(csv::Reader<R>, Vec<String>), csv::Error> {
    let mut reader = csv::Reader::from_reader(input);
    let columns = reader.headers()?.iter().map(String::from).collect();
    Ok((reader, columns))
}
