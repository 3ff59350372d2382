//! Memory stays bounded whatever the number of patients: 10 million patients with session
//! output off run in well under 500 MB of peak resident memory (issue #6). The child's peak
//! RSS comes from getrusage(RUSAGE_CHILDREN) after it exits.

use std::process::Command;

#[test]
fn ten_million_patients_run_in_bounded_memory() {
    let out = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_bordin"))
        .args([
            "run",
            "--quiet",
            "--sessions-output",
            "none",
            "--set",
            "run.patients=10000000",
            "--out",
        ])
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success());
    // SAFETY: getrusage writes into the zeroed struct we pass; no other invariants.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0);
    let peak_mb = usage.ru_maxrss as f64 / 1024.0; // ru_maxrss is in kB on Linux
    eprintln!("peak resident memory of a 10-million-patient run: {peak_mb:.1} MB");
    assert!(peak_mb < 500.0, "peak RSS {peak_mb:.1} MB");
    let rows = std::fs::read_to_string(out.path().join("patients.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(rows, 10_000_001);
}
