//! Peak memory of scanning a repository with two ~61 MB `package-lock.json` files (the shape that
//! drove the agent past its 256Mi limit). The scan runs in a child process, this bench binary
//! started again with [`CHILD_FLAG`], which loads the OSV directory as the agent does, resets its
//! peak RSS, scans, and prints its `VmHWM` from `/proc/self/status`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::analysis::analyze_into;
use gitproxy_remediation::files::Snapshot;

/// The argument that makes the bench binary the measured child: `--scan-rss-child <osv> <repo>`.
pub(crate) const CHILD_FLAG: &str = "--scan-rss-child";

/// Size of each generated lockfile.
const LOCK_BYTES: usize = 61 * 1000 * 1000;

/// What the child reports.
pub(crate) struct Measured {
    /// RSS with the OSV data loaded, before the scan (KiB).
    pub(crate) baseline_kib: u64,
    /// Peak RSS during the scan (KiB).
    pub(crate) peak_kib: u64,
    pub(crate) dependencies: usize,
    pub(crate) problems: usize,
    pub(crate) lock_bytes: usize,
}

/// Writes the repository below `dir` and measures a scan of it in a child process.
pub(crate) fn measure(dir: &Path, osv: &Path) -> Result<Measured, String> {
    let repo = dir.join("two-big-locks");
    let mut lock_bytes = 0;
    for app in ["web", "admin"] {
        let app_dir = repo.join("apps").join(app);
        std::fs::create_dir_all(&app_dir).map_err(|e| e.to_string())?;
        let (manifest, lock) = big_lock(app, LOCK_BYTES);
        lock_bytes = lock.len();
        std::fs::write(app_dir.join("package.json"), manifest).map_err(|e| e.to_string())?;
        std::fs::write(app_dir.join("package-lock.json"), lock).map_err(|e| e.to_string())?;
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .arg(CHILD_FLAG)
        .arg(osv)
        .arg(&repo)
        .output()
        .map_err(|e| format!("could not start the measuring child: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "the measuring child failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let nums: Vec<u64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let [baseline_kib, peak_kib, dependencies, problems] = nums[..] else {
        return Err(format!("the measuring child printed `{text}`"));
    };
    Ok(Measured {
        baseline_kib,
        peak_kib,
        dependencies: dependencies as usize,
        problems: problems as usize,
        lock_bytes,
    })
}

/// The child: `<osv> <repo>`; prints `baseline_kib peak_kib dependencies problems`.
pub(crate) fn child(osv: &Path, repo: &Path) -> Result<(), String> {
    let mut db = AdvisoryDb::new();
    db.load_dir(osv).map_err(|e| e.to_string())?;
    let baseline = status_kib("VmRSS")?;
    // Writing 5 to clear_refs resets VmHWM, so the peak below is the scan's alone.
    std::fs::write("/proc/self/clear_refs", "5").map_err(|e| format!("clear_refs: {e}"))?;
    // What a scan should call: each dependency is matched as it is found and only the
    // vulnerable ones are kept.
    let snapshot = Snapshot::from_dir(repo).map_err(|e| e.to_string())?;
    let mut matched = db.matcher();
    analyze_into(&snapshot, &mut matched);
    let peak = status_kib("VmHWM")?;
    println!(
        "{baseline} {peak} {} {}",
        matched.dependencies,
        matched.problems.len()
    );
    drop((matched, snapshot));
    Ok(())
}

fn status_kib(field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/self/status"))
}

/// A `package.json` and a lockfileVersion 3 `package-lock.json` of about `bytes` bytes, shaped
/// like npm writes them: nested `node_modules` paths, integrity, resolved URLs, licenses,
/// engines and per-package dependency ranges.
fn big_lock(app: &str, bytes: usize) -> (String, String) {
    let mut manifest =
        format!("{{\n  \"name\": \"{app}\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {{\n");
    let direct = 40;
    for i in 0..direct {
        let sep = if i + 1 == direct { "" } else { "," };
        let _ = writeln!(manifest, "    \"pkg-{i}\": \"^1.{}.0\"{sep}", i % 7);
    }
    manifest.push_str("  }\n}\n");
    let mut lock = format!(
        "{{\n  \"name\": \"{app}\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {{\n    \"\": {{\n      \"name\": \"{app}\",\n      \"version\": \"1.0.0\",\n      \"dependencies\": {{\n"
    );
    for i in 0..direct {
        let sep = if i + 1 == direct { "" } else { "," };
        let _ = writeln!(lock, "        \"pkg-{i}\": \"^1.{}.0\"{sep}", i % 7);
    }
    lock.push_str("      }\n    }");
    let mut i = 0usize;
    while lock.len() < bytes {
        let name = if i % 5 == 0 {
            format!("@scope-{}/pkg-{i}", i % 97)
        } else {
            format!("pkg-{i}")
        };
        let key = if i % 3 == 0 && i > 0 {
            format!("node_modules/pkg-{}/node_modules/{name}", i - 1)
        } else {
            format!("node_modules/{name}")
        };
        let base = name.rsplit('/').next().unwrap_or(&name);
        let version = format!("{}.{}.{}", 1 + i % 4, i % 13, i % 29);
        let integrity: String = (0..86)
            .map(|k| char::from(b'A' + ((i * 7 + k * 13) % 26) as u8))
            .collect();
        let _ = write!(
            lock,
            ",\n    \"{key}\": {{\n      \"version\": \"{version}\",\n      \"resolved\": \"https://registry.npmjs.org/{name}/-/{base}-{version}.tgz\",\n      \"integrity\": \"sha512-{integrity}==\",\n"
        );
        if i % 4 == 0 {
            lock.push_str("      \"dev\": true,\n");
        }
        let _ = write!(
            lock,
            "      \"license\": \"MIT\",\n      \"dependencies\": {{\n        \"pkg-{}\": \"^1.0.0\",\n        \"pkg-{}\": \"~2.{}.0\"\n      }},\n      \"engines\": {{\n        \"node\": \">=12\"\n      }}\n    }}",
            (i * 31) % (i + 1),
            (i * 17) % (i + 1),
            i % 9
        );
        i += 1;
    }
    lock.push_str("\n  }\n}\n");
    (manifest, lock)
}
