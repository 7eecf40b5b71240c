//! `cargo xtask image`: the gitproxy container image built without a Docker engine, the way `ko` builds
//! Go images: the stripped release binary from `cargo xtask dist`, the glibc it links, a CA bundle,
//! `/etc/passwd` with the chart's non-root user and the OSV data layer, written as a reproducible OCI image
//! layout plus a `docker-archive` tar (via skopeo) and a CycloneDX SBOM in `target/dist`.
//!
//! `--check-reproducible` builds the layout a second time and fails unless the digests match;
//! `--write-dockerfile` regenerates `bins/gitproxy/Dockerfile` from the same [`spec`].

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use self::oci::{NamedLayer, Settings, Written};
use self::spec::{ImageFile, Source, Spec};
use self::tar::{Entry, Layer};

pub(crate) mod dockerfile;
mod oci;
mod sbom;
pub(crate) mod spec;
mod tar;

/// The compressed size the image may have without its OSV data layer.
pub(crate) const SIZE_BUDGET: u64 = 30 * 1024 * 1024;

/// What `cargo xtask image` produced.
#[derive(Debug)]
pub(crate) struct Built {
    /// `layout:tag`, as `umoci` and `skopeo` name the image (`oci:` transport without the prefix).
    pub(crate) layout_ref: String,
    pub(crate) written: Written,
}

pub(crate) fn run(root: &Path, args: &[String]) -> Result<()> {
    let mut reproducible = false;
    for arg in args {
        match arg.as_str() {
            "--check-reproducible" => reproducible = true,
            "--write-dockerfile" => return dockerfile::write(root),
            other => bail!(
                "unknown `image` option `{other}`; use --check-reproducible or --write-dockerfile"
            ),
        }
    }
    build(root, reproducible).map(|_| ())
}

/// Builds the release binary and the image; with `reproducible`, builds the layout twice and compares.
pub(crate) fn build(root: &Path, reproducible: bool) -> Result<Built> {
    crate::tools::ensure_image_tools()?;
    dockerfile::check(root)?;
    crate::dist::run(root)?;
    let dist = crate::dist::dist_dir(root);
    let binary = dist.join("gitproxy");
    check_linked_libraries(&binary)?;
    let spec = Spec::load(root)?;
    let osv = crate::demo::shared_osv(root)?;
    let revision = git(root, &["rev-parse", "HEAD"])?;
    let epoch = source_date_epoch(root)?;
    let settings = Settings {
        created: rfc3339(epoch),
        mtime: epoch,
        tag: spec.version.clone(),
        config: spec.oci_config(&revision),
    };
    let first = layers(&spec, &binary, &osv)?;
    let layout = dist.join("oci");
    let written = write_fresh(&layout, &first, &settings)?;
    if reproducible {
        let again = dist.join("oci-reproducible-check");
        let second = write_fresh(&again, &layers(&spec, &binary, &osv)?, &settings)?;
        std::fs::remove_dir_all(&again)
            .with_context(|| format!("could not remove {}", again.display()))?;
        if second != written {
            bail!(
                "the image is not reproducible: a second build gave {} instead of {}; look for a timestamp or an unordered list in xtask/src/image",
                second.manifest_digest,
                written.manifest_digest
            );
        }
        eprintln!("xtask: image: a second build gave the same digest");
    }
    let without_osv = written.compressed_without(spec::OSV);
    if without_osv > SIZE_BUDGET {
        bail!(
            "the image is {} compressed without OSV data, over the budget of {}; see the layer sizes above",
            crate::dist::human_size(without_osv),
            crate::dist::human_size(SIZE_BUDGET)
        );
    }
    let layout_ref = format!("{}:{}", layout.display(), spec.version);
    let archive = dist.join(format!("gitproxy-{}.docker.tar", spec.version));
    docker_archive(&layout_ref, &archive, &spec.reference())?;
    let sbom = dist.join(format!("gitproxy-{}.cdx.json", spec.version));
    sbom::write(root, &sbom, &spec, epoch)?;
    report(&spec, &written, &layout, &archive, &sbom);
    Ok(Built {
        layout_ref,
        written,
    })
}

/// `cargo xtask image-e2e`: builds the image (twice, to prove it reproducible), then runs the e2e suite's
/// image tests against it: umoci unpacks it, runc starts it against the loopback simulator and hub.
pub(crate) fn e2e(root: &Path) -> Result<()> {
    let built = build(root, true)?;
    eprintln!("xtask: ==> image-e2e ({})", built.layout_ref);
    let started = std::time::Instant::now();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(crate::e2e::image_test_args())
        .env("GITPROXY_IMAGE", &built.layout_ref)
        .current_dir(root)
        .status()
        .context("could not start `cargo test` for the image tests")?;
    if !status.success() {
        bail!(
            "step `image-e2e` failed ({status}); the container's log is in the test output above"
        );
    }
    eprintln!(
        "xtask: image-e2e passed in {:.1} s (image {})",
        started.elapsed().as_secs_f64(),
        built.written.manifest_digest
    );
    Ok(())
}

fn write_fresh(dir: &Path, layers: &[NamedLayer], settings: &Settings) -> Result<Written> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("could not clear {}", dir.display()))?;
    }
    oci::write_layout(dir, layers, settings)
}

/// The layers of the image from the spec's file list.
pub(crate) fn layers(spec: &Spec, binary: &Path, osv: &Path) -> Result<Vec<NamedLayer>> {
    let mut named = vec![
        NamedLayer {
            name: spec::BASE,
            created_by: "xtask image: glibc loader and libraries, CA bundle, users, /tmp",
            layer: Layer::default(),
        },
        NamedLayer {
            name: spec::AGENT,
            created_by: "xtask image: the gitproxy release binary",
            layer: Layer::default(),
        },
        NamedLayer {
            name: spec::OSV,
            created_by: "xtask image: OSV vulnerability data",
            layer: Layer::default(),
        },
    ];
    for file in spec.files() {
        let layer = named
            .iter_mut()
            .find(|l| l.name == file.layer)
            .map(|l| &mut l.layer)
            .with_context(|| format!("{} names an unknown layer {}", file.path, file.layer))?;
        add_file(layer, &file, binary, osv)?;
    }
    Ok(named)
}

fn add_file(layer: &mut Layer, file: &ImageFile, binary: &Path, osv: &Path) -> Result<()> {
    let read = |path: &Path| {
        std::fs::read(path)
            .with_context(|| format!("could not read {} for the image", path.display()))
    };
    match &file.source {
        Source::Host => layer.insert(
            &file.path,
            Entry::file(read(Path::new(&file.path))?, file.mode),
        ),
        Source::Binary => layer.insert(&file.path, Entry::file(read(binary)?, file.mode)),
        Source::Text(text) => layer.insert(
            &file.path,
            Entry::file(text.clone().into_bytes(), file.mode),
        ),
        Source::Dir { uid, gid } => layer.insert(&file.path, Entry::dir(file.mode, *uid, *gid)),
        Source::OsvTree => {
            layer.insert(&file.path, Entry::dir(file.mode, 0, 0))?;
            add_tree(layer, osv, &file.path)
        }
    }
}

/// Every file and directory under `dir` at `dest`: files 0644, directories 0755, sorted.
fn add_tree(layer: &mut Layer, dir: &Path, dest: &str) -> Result<()> {
    let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("could not list {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("could not list {}", dir.display()))?;
    children.sort();
    for child in children {
        let name = child
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| {
                format!(
                    "{} has a name that is not UTF-8; rename it",
                    child.display()
                )
            })?;
        let path = format!("{dest}/{name}");
        if child.is_dir() {
            layer.insert(&path, Entry::dir(0o755, 0, 0))?;
            add_tree(layer, &child, &path)?;
        } else {
            let data = std::fs::read(&child)
                .with_context(|| format!("could not read {}", child.display()))?;
            layer.insert(&path, Entry::file(data, 0o644))?;
        }
    }
    Ok(())
}

/// Fails unless the binary needs exactly the loader and libraries the spec ships.
fn check_linked_libraries(binary: &Path) -> Result<()> {
    let out = Command::new("ldd")
        .arg(binary)
        .output()
        .context("could not run ldd; install libc-bin")?;
    if !out.status.success() {
        bail!(
            "ldd {} failed: {}",
            binary.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let found = linked_libraries(&String::from_utf8_lossy(&out.stdout));
    let mut wanted: Vec<String> = spec::LIBRARIES.iter().map(|s| (*s).to_owned()).collect();
    wanted.push(spec::LOADER.to_owned());
    wanted.sort();
    if found != wanted {
        bail!(
            "the binary links {found:?} but the image ships {wanted:?}; update LIBRARIES in xtask/src/image/spec.rs, then run `cargo xtask image --write-dockerfile`"
        );
    }
    Ok(())
}

/// The paths of the libraries in `ldd` output (the kernel's vDSO left out), sorted.
pub(crate) fn linked_libraries(ldd: &str) -> Vec<String> {
    let mut paths: Vec<String> = ldd
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            let path = match line.split_once("=>") {
                Some((_, rest)) => rest.split_whitespace().next()?,
                None => line.split_whitespace().next()?,
            };
            path.starts_with('/').then(|| path.to_owned())
        })
        .collect();
    paths.sort();
    paths
}

/// `skopeo copy oci:LAYOUT:TAG docker-archive:FILE:REFERENCE`, for `docker load` and `kind load image-archive`.
fn docker_archive(layout_ref: &str, archive: &Path, reference: &str) -> Result<()> {
    if archive.exists() {
        std::fs::remove_file(archive)
            .with_context(|| format!("could not remove {}", archive.display()))?;
    }
    // Our own local layout, just written: there is no signature to check.
    let out = Command::new("skopeo")
        .args(["--insecure-policy", "copy", "--quiet"])
        .arg(format!("oci:{layout_ref}"))
        .arg(format!("docker-archive:{}:{reference}", archive.display()))
        .output()
        .context("could not run skopeo; install it (apt-get install skopeo)")?;
    if !out.status.success() {
        bail!(
            "skopeo could not write the docker archive {}: {}",
            archive.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn report(spec: &Spec, written: &Written, layout: &Path, archive: &Path, sbom: &Path) {
    use crate::dist::human_size;
    println!("{}", spec.reference());
    for layer in &written.layers {
        println!(
            "  layer {:<9} {:>5} files  {} compressed, {} as tar  {}",
            layer.name,
            layer.files,
            human_size(layer.compressed),
            human_size(layer.uncompressed),
            layer.digest
        );
    }
    println!(
        "  total      {} compressed ({} without OSV data; budget {})",
        human_size(written.layers.iter().map(|l| l.compressed).sum()),
        human_size(written.compressed_without(spec::OSV)),
        human_size(SIZE_BUDGET)
    );
    println!(
        "  layout     {} (oci:{}:{})",
        layout.display(),
        layout.display(),
        spec.version
    );
    println!("  archive    {}", archive.display());
    println!("  sbom       {}", sbom.display());
    println!("  digest     {}", written.manifest_digest);
}

/// `git <args>` in the workspace, trimmed.
fn git(root: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .context("could not run git; install it (apt-get install git)")?;
    if !out.status.success() {
        bail!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `SOURCE_DATE_EPOCH` when set, else the time of the last commit.
fn source_date_epoch(root: &Path) -> Result<u64> {
    let text = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value,
        Err(_) => git(root, &["log", "-1", "--format=%ct"])?,
    };
    text.trim()
        .parse()
        .with_context(|| format!("SOURCE_DATE_EPOCH {text:?} is not a number of seconds"))
}

/// `2026-12-04T05:03:47Z` for seconds since the epoch (proleptic Gregorian, UTC).
pub(crate) fn rfc3339(epoch: u64) -> String {
    let days = (epoch / 86_400) as i64;
    let secs = epoch % 86_400;
    // Days to civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests;
