//! SLURM scripts for a sweep: a job array whose tasks run the shards, a merge job that
//! depends on it, and a script that submits both.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result, SweepError};

use super::state::write_atomic;

/// Everything `bordin slurm` needs.
#[derive(Clone, Debug)]
pub struct SlurmRequest {
    /// The sweep file (made absolute in the scripts).
    pub sweep_file: PathBuf,
    /// Tasks of the job array.
    pub array: u32,
    pub partition: Option<String>,
    pub time: Option<String>,
    pub cpus: u32,
    /// The sweep directory the tasks write (made absolute).
    pub out: PathBuf,
    /// Where the scripts go.
    pub script_dir: PathBuf,
    /// The bordin binary the jobs run (made absolute).
    pub bordin: PathBuf,
    /// The sweep's `--posterior` (`default` or an absolute path), passed on to every task.
    pub posterior: Option<String>,
    /// The sweep's `--draws`.
    pub draws: Option<u64>,
}

/// Quotes a word for a POSIX shell.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|source| Error::Write {
        path: p.to_path_buf(),
        source,
    })
}

/// Writes `sweep.sbatch` (the job array), `merge.sbatch` (the merge, after the array succeeds)
/// and `submit.sh` (submits both with `sbatch --parsable`, printing the two job ids) into
/// `script_dir`. Returns the paths written.
///
/// # Errors
/// [`SweepError`] for a bad array size or CPU count, or a SLURM value that is not one word;
/// write failures.
pub fn write_slurm(req: &SlurmRequest) -> Result<Vec<PathBuf>> {
    check(req)?;
    let paths = Paths {
        sweep: absolute(&req.sweep_file)?,
        out: absolute(&req.out)?,
        bordin: absolute(&req.bordin)?,
        dir: absolute(&req.script_dir)?,
    };
    let dir = &paths.dir;
    fs::create_dir_all(dir).map_err(|source| Error::Write {
        path: dir.clone(),
        source,
    })?;
    let common = common_lines(req);
    let mut written = Vec::new();
    for (name, text) in [
        ("sweep.sbatch", array_script(req, &paths, &common)),
        ("merge.sbatch", merge_script(&paths, &common)),
        ("submit.sh", submit_script(&paths)),
    ] {
        let path = dir.join(name);
        write_atomic(&path, text.as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).map_err(|source| {
                Error::Write {
                    path: path.clone(),
                    source,
                }
            })?;
        }
        written.push(path);
    }
    Ok(written)
}

/// Checks the array size, the CPUs and that SLURM values are single words.
fn check(req: &SlurmRequest) -> Result<(), SweepError> {
    if req.array == 0 {
        return Err(SweepError::NoArrayTasks);
    }
    if req.cpus == 0 {
        return Err(SweepError::NoCpus);
    }
    for (name, v) in [("--partition", &req.partition), ("--time", &req.time)] {
        if let Some(v) = v
            && (v.is_empty() || v.chars().any(|c| c.is_whitespace() || c == '#'))
        {
            return Err(SweepError::NotAWord {
                flag: name,
                value: v.clone(),
            });
        }
    }
    Ok(())
}

/// The absolute paths the scripts use.
struct Paths {
    sweep: PathBuf,
    out: PathBuf,
    bordin: PathBuf,
    dir: PathBuf,
}

fn q(p: &Path) -> String {
    shell_quote(&p.display().to_string())
}

/// The `#SBATCH` lines both jobs share (partition, time limit).
fn common_lines(req: &SlurmRequest) -> String {
    let mut common = String::new();
    if let Some(p) = &req.partition {
        common.push_str(&format!("#SBATCH --partition={p}\n"));
    }
    if let Some(t) = &req.time {
        common.push_str(&format!("#SBATCH --time={t}\n"));
    }
    common
}

/// `sweep.sbatch`: the job array, task i running shard i.
fn array_script(req: &SlurmRequest, p: &Paths, common: &str) -> String {
    format!(
        "#!/bin/bash\n\
         # A job array of {n} tasks: task i runs shard i of the sweep (bordin reads\n\
         # SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT). Finished units are\n\
         # skipped, so a failed task can simply be resubmitted.\n\
         #SBATCH --job-name=bordin-sweep\n\
         #SBATCH --array=0-{last}\n\
         #SBATCH --ntasks=1\n\
         #SBATCH --cpus-per-task={cpus}\n\
         {common}\
         #SBATCH --output={logs}/sweep-%A_%a.out\n\
         set -euo pipefail\n\
         exec {bordin} sweep {sweep} --out {out}{posterior} --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" --quiet\n",
        n = req.array,
        last = req.array - 1,
        cpus = req.cpus,
        logs = p.dir.join("logs").display(),
        bordin = q(&p.bordin),
        sweep = q(&p.sweep),
        out = q(&p.out),
        posterior = req.posterior.as_ref().map_or(String::new(), |f| {
            format!(
                " --posterior {}{}",
                shell_quote(f),
                req.draws.map_or(String::new(), |k| format!(" --draws {k}"))
            )
        }),
    )
}

/// `merge.sbatch`: the merge, once the array has succeeded.
fn merge_script(p: &Paths, common: &str) -> String {
    format!(
        "#!/bin/bash\n\
         # Merges the shards into sweep.csv (submitted with --dependency=afterok on the array).\n\
         #SBATCH --job-name=bordin-merge\n\
         #SBATCH --ntasks=1\n\
         #SBATCH --cpus-per-task=1\n\
         {common}\
         #SBATCH --output={logs}/merge-%j.out\n\
         set -euo pipefail\n\
         exec {bordin} merge {out} --out {out}\n",
        logs = p.dir.join("logs").display(),
        bordin = q(&p.bordin),
        out = q(&p.out),
    )
}

/// `submit.sh`: submits both jobs and prints their ids.
fn submit_script(p: &Paths) -> String {
    format!(
        "#!/bin/bash\n\
         # Submits the sweep's job array, then the merge job once every task has succeeded.\n\
         # Prints the two job ids: ARRAY_JOB_ID MERGE_JOB_ID.\n\
         set -euo pipefail\n\
         dir={dir}\n\
         mkdir -p \"$dir/logs\"\n\
         ARRAY_JOB_ID=$(sbatch --parsable \"$dir/sweep.sbatch\")\n\
         ARRAY_JOB_ID=${{ARRAY_JOB_ID%%;*}}\n\
         MERGE_JOB_ID=$(sbatch --parsable --dependency=afterok:$ARRAY_JOB_ID \"$dir/merge.sbatch\")\n\
         MERGE_JOB_ID=${{MERGE_JOB_ID%%;*}}\n\
         echo \"$ARRAY_JOB_ID $MERGE_JOB_ID\"\n",
        dir = q(&p.dir),
    )
}
