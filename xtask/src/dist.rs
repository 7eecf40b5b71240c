//! `cargo xtask dist`: a stripped release build of `gitproxy` in `target/dist/` with its SHA-256
//! checksum file (`sha256sum -c` format) and the binary size reported.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

pub(crate) fn run(root: &Path) -> Result<()> {
    crate::step(
        root,
        "release build of gitproxy",
        &[
            "build",
            "--release",
            "--package",
            "gitproxy",
            "--bin",
            "gitproxy",
        ],
    )?;
    let target = crate::demo::target_dir(root);
    let built = target.join("release/gitproxy");
    let dist = dist_dir(root);
    std::fs::create_dir_all(&dist)
        .with_context(|| format!("could not create {}", dist.display()))?;
    let binary = dist.join("gitproxy");
    std::fs::copy(&built, &binary)
        .with_context(|| format!("could not copy {} to {}", built.display(), binary.display()))?;
    // The release profile strips symbols; `strip` (binutils) also drops what is left, when present.
    if Command::new("strip")
        .arg(&binary)
        .status()
        .is_ok_and(|s| s.success())
    {
        eprintln!("xtask: stripped {}", binary.display());
    }
    let digest = sha256(&binary)?;
    let sum_file = dist.join("gitproxy.sha256");
    std::fs::write(&sum_file, checksum_line(&digest, "gitproxy"))
        .with_context(|| format!("could not write {}", sum_file.display()))?;
    let size = std::fs::metadata(&binary)
        .with_context(|| format!("could not stat {}", binary.display()))?
        .len();
    println!("{}", binary.display());
    println!("  size    {}", human_size(size));
    println!("  sha256  {digest}");
    println!(
        "  {} (check with `sha256sum -c gitproxy.sha256` in target/dist)",
        sum_file.display()
    );
    Ok(())
}

/// The SHA-256 of `path` in hex, from `sha256sum` or, without it, python3's hashlib.
pub(crate) fn sha256(path: &Path) -> Result<String> {
    let via_sha256sum = Command::new("sha256sum").arg(path).output();
    let text = match via_sha256sum {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).into_owned(),
        _ => {
            let out = Command::new("python3")
                .args([
                    "-c",
                    "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())",
                ])
                .arg(path)
                .output()
                .context("neither sha256sum nor python3 is available; install coreutils or python3")?;
            if !out.status.success() {
                bail!(
                    "python3 could not hash {}: {}",
                    path.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    };
    let digest = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    if digest.len() != 64 || !digest.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!(
            "unexpected checksum output for {}: {text:?}",
            path.display()
        );
    }
    Ok(digest)
}

/// One line of a `sha256sum -c` file.
pub(crate) fn checksum_line(digest: &str, name: &str) -> String {
    format!("{digest}  {name}\n")
}

/// `12.3 MiB (12901234 bytes)`.
pub(crate) fn human_size(bytes: u64) -> String {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    format!("{mib:.1} MiB ({bytes} bytes)")
}

/// Where the binary and its checksum go: `target/dist`.
pub(crate) fn dist_dir(root: &Path) -> PathBuf {
    crate::demo::target_dir(root).join("dist")
}

#[cfg(test)]
mod tests;
