//! Advisory sync figures: a full sync of the three shared OSV archives (crates.io, PyPI, Go) into
//! a persistent store, a full re-sync of them while a scan still holds the old database (the
//! worst case for memory: old and new side by side), and a 100-record delta; each with its time
//! and the process's peak RSS (`VmHWM`, reset before each step through `/proc/self/clear_refs`).

// A benchmark reports its figures on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use gitproxy_remediation::advisories::{
    AdvisoryDb, AdvisoryStore, StoreOptions, SyncBatch, SyncChange,
};

const ECOSYSTEMS: [&str; 3] = ["crates.io", "PyPI", "Go"];
const T1: &str = "2026-12-01T00:00:00Z";
const T2: &str = "2026-12-02T00:00:00Z";
const T3: &str = "2026-12-03T00:00:00Z";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench advisories: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The shared OSV archives: next to the checkout, as for the remediation bench, or /work/shared.
fn osv_dir() -> Result<PathBuf, String> {
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/osv");
    [beside, PathBuf::from("/work/shared/osv")]
        .into_iter()
        .find(|p| p.join("Go/all.zip").is_file())
        .ok_or_else(|| {
            "the shared OSV archives (shared/osv/<ECOSYSTEM>/all.zip) are missing".into()
        })
}

fn status_kib(field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

/// Runs `f`, returning its time in ms and the peak RSS in MiB while it ran.
fn measured<T>(f: impl FnOnce() -> Result<T, String>) -> Result<(f64, f64, T), String> {
    std::fs::write("/proc/self/clear_refs", "5").map_err(|e| format!("clear_refs: {e}"))?;
    let start = Instant::now();
    let out = f()?;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    Ok((ms, status_kib("VmHWM")? as f64 / 1024.0, out))
}

fn run() -> Result<(), String> {
    let osv = osv_dir()?;
    let mut archives = Vec::new();
    for eco in ECOSYSTEMS {
        let bytes = std::fs::read(osv.join(eco).join("all.zip")).map_err(|e| e.to_string())?;
        archives.push((eco, bytes));
    }
    let total: usize = archives.iter().map(|(_, a)| a.len()).sum();
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = AdvisoryStore::open(
        None,
        Default::default(),
        StoreOptions {
            dir: Some(dir.path().to_path_buf()),
            ..StoreOptions::default()
        },
    );
    let base = status_kib("VmRSS")? as f64 / 1024.0;
    let full = |watermark: &str| -> Result<(), String> {
        for (eco, archive) in &archives {
            store
                .sync(&SyncBatch {
                    ecosystem: eco.to_string(),
                    watermark: watermark.into(),
                    change: SyncChange::Full {
                        archive: archive.clone(),
                    },
                })
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    };
    let (full_ms, full_peak, ()) = measured(|| full(T1))?;
    let records = store.snapshot().len();
    let estimated = store.snapshot().estimated_bytes() as f64 / 1048576.0;
    let loaded = status_kib("VmRSS")? as f64 / 1024.0;
    // A scan holds the old database while the re-sync builds and swaps in the new one.
    let held = store.snapshot();
    let (resync_ms, resync_peak, ()) = measured(|| full(T2))?;
    drop(held);
    // 100 changed Go records.
    let mut go = AdvisoryDb::new();
    go.load_zip_bytes(&archives[2].1, "Go/all.zip")
        .map_err(|e| e.to_string())?;
    let changed: Vec<Vec<u8>> = go
        .records()
        .take(100)
        .map(|r| {
            let mut r = (*r).clone();
            r.modified = Some(T3.into());
            serde_json::to_vec(&r).expect("json")
        })
        .collect();
    drop(go);
    let held = store.snapshot();
    let (delta_ms, delta_peak, ()) = measured(|| {
        store
            .sync(&SyncBatch {
                ecosystem: "Go".into(),
                watermark: T3.into(),
                change: SyncChange::Delta {
                    since: T2.into(),
                    records: changed,
                    withdrawn: Vec::new(),
                },
            })
            .map(|_| ())
            .map_err(|e| e.to_string())
    })?;
    drop(held);
    let (reopen_ms, reopen_peak, reopened) = measured(|| {
        Ok(AdvisoryStore::open(
            None,
            Default::default(),
            StoreOptions {
                dir: Some(dir.path().to_path_buf()),
                ..StoreOptions::default()
            },
        ))
    })?;
    println!("bench advisories: three shared archives ({:.1} MiB compressed, {records} records), store persisted to a temporary directory", total as f64 / 1048576.0);
    println!("| step | time | peak RSS |");
    println!("|---|---|---|");
    println!("| process before any sync | | {base:.0} MiB |");
    println!("| full sync of the three archives (empty store) | {full_ms:.0} ms | {full_peak:.0} MiB (after: {loaded:.0} MiB) |");
    println!("| full re-sync of the three while a scan holds the old database | {resync_ms:.0} ms | {resync_peak:.0} MiB |");
    println!("| 100-record Go delta while a scan holds the old database | {delta_ms:.0} ms | {delta_peak:.0} MiB |");
    println!(
        "| restart: read the store back ({} records, watermark {}) | {reopen_ms:.0} ms | {reopen_peak:.0} MiB |",
        reopened.snapshot().len(),
        reopened.watermarks().get("Go").map_or("-", String::as_str)
    );
    println!(
        "bench advisories: the store's memory estimate of the three (what `max_advisory_memory` is checked against): {estimated:.0} MiB; resident growth of the full sync: {:.0} MiB",
        loaded - base
    );
    Ok(())
}
