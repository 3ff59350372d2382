//! Output files and what is printed: number formatting for CSV cells ([`format`]), files
//! written under a temporary name and renamed when complete, with their SHA-256 ([`atomic`]),
//! the output directory as one transaction ([`output_dir`]: lock, staging, commit, rollback)
//! with its lock ([`lock`]) and the disk-space guard ([`space`]), the CSV sink of `bordin run`
//! ([`csv`]), the printed summary table ([`table`]), manifests ([`manifest`]) and the terminal
//! progress bar ([`progress`]).
//!
//! Conventions: snake_case column names, one header row, no index column, missing values as
//! empty cells (R's `read.csv` and pandas read them as NA/NaN), booleans as 0/1, numbers in
//! fixed decimal notation. Each file is written to a hidden temporary name and renamed only
//! when complete, so no file is ever left half-written; a SHA-256 of each is recorded in the
//! manifest. A command writes its files into a staging directory and moves them all into place
//! when it has succeeded (docs/reliability.md).

pub mod atomic;
pub mod csv;
pub mod format;
pub mod lock;
pub mod manifest;
pub mod output_dir;
pub mod progress;
pub mod space;
pub mod table;

pub use atomic::{AtomicFile, FileRecord, claim_work_dir, sha256_hex};
pub use csv::{
    CsvSink, RenderedRows, RunTables, SUMMARY_COLUMNS, summary_stat_cells, write_draws,
    write_intervals,
};
pub use format::num;
pub use output_dir::{Mode, OutputDir, Owned};
pub use table::{interval_table, summary_table};
pub(crate) use table::{table_2dp, table_percent};
