//! `cargo xtask bench remediation`: OSV archive load time, lockfile scan times, and the engine
//! against `cargo audit` on the same `Cargo.lock`, side by side in one run; also re-runs the
//! cargo-audit oracle comparison live, and measures the peak memory of scanning a repository
//! with two ~61 MB lockfiles (`-- --rss-only` runs only that; `-- --lockfiles-only` only the
//! generated 5,000-package `package-lock.json` and `yarn.lock`).

// A benchmark reports its figures on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use gitproxy_remediation::advisories::AdvisoryDb;
use gitproxy_remediation::analysis::analyze;
use gitproxy_remediation::files::Snapshot;
use gitproxy_remediation::osv::Record;

mod bun;
mod pdm;
mod rss;

const RUNS: usize = 7;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == rss::CHILD_FLAG) {
        let (Some(osv), Some(repo)) = (args.get(at + 1), args.get(at + 2)) else {
            eprintln!("bench remediation: {} needs <osv> <repo>", rss::CHILD_FLAG);
            return ExitCode::FAILURE;
        };
        return match rss::child(Path::new(osv), Path::new(repo)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench remediation (child): {e}");
                ExitCode::FAILURE
            }
        };
    }
    let rss_only = args.iter().any(|a| a == "--rss-only");
    if args.iter().any(|a| a == "--lockfiles-only") {
        let mut db = AdvisoryDb::new();
        if let Err(e) = db.load_dir(&shared().join("osv")) {
            eprintln!("bench remediation: {e}");
            return ExitCode::FAILURE;
        }
        generated_lockfiles(&mut db);
        return ExitCode::SUCCESS;
    }
    if args.iter().any(|a| a == "--maven-only") {
        if let Err(e) = maven_parents() {
            eprintln!("bench remediation: {e}");
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    match run(rss_only) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("bench remediation: {e}");
            ExitCode::FAILURE
        }
    }
}

fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// Median and minimum of `RUNS` timings of `f`.
fn time<T>(mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = f();
        times.push(start.elapsed());
        last = Some(out);
    }
    times.sort();
    (times[RUNS / 2], times[0], last.expect("RUNS > 0"))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Peak RSS allowed for the scan of the two-lockfile repository (the chart limits the agent to
/// 256Mi).
const RSS_TARGET_MIB: u64 = 200;

fn run(rss_only: bool) -> Result<bool, String> {
    let osv = shared().join("osv");
    let mut ok = true;
    // Other work on the machine slows the engine's two decoding threads more than cargo
    // audit's single one, so the load at the start goes with the figures.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().next().unwrap_or("unknown");
    println!(
        "## remediation bench ({RUNS} runs each, median (min)); load average at start: {load}\n"
    );

    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    // 0. Memory: a repository with two ~61 MB package-lock.json files, scanned in a child.
    let m = rss::measure(dir.path(), &osv)?;
    let peak_mib = m.peak_kib.div_ceil(1024);
    let met = peak_mib <= RSS_TARGET_MIB;
    println!(
        "- peak RSS scanning two {:.1} MB package-lock.json files: {peak_mib} MiB, of which {} MiB before the scan with the OSV data loaded ({} dependencies, {} problems); target <= {RSS_TARGET_MIB} MiB: {}",
        m.lock_bytes as f64 / 1e6,
        m.baseline_kib / 1024,
        m.dependencies,
        m.problems,
        verdict(met)
    );
    ok &= met;
    if rss_only {
        return Ok(ok);
    }
    // A large Cargo.lock: every crate named by the crates.io archive plus filler. The cold
    // end-to-end comparison runs first, before the big databases below fill the heap.
    let cargo_lock = large_cargo_lock(&osv.join("crates.io/all.zip"), 3_000)?;
    let lock_dir = dir.path().join("large");
    std::fs::create_dir_all(&lock_dir).map_err(|e| e.to_string())?;
    let lock_path = lock_dir.join("Cargo.lock");
    std::fs::write(&lock_path, &cargo_lock).map_err(|e| e.to_string())?;
    // 1. End to end against cargo audit on the same Cargo.lock.
    let crates_zip = osv.join("crates.io/all.zip");
    let (engine_med, engine_min, engine_n) = time(|| -> Result<usize, String> {
        let mut db = AdvisoryDb::new();
        db.load_zip_file(&crates_zip).map_err(|e| e.to_string())?;
        let snapshot = Snapshot::from_dir(&lock_dir).map_err(|e| e.to_string())?;
        let analysis = analyze(&snapshot);
        Ok(db.scan(&analysis).len())
    });
    let engine_n = engine_n?;
    println!(
        "- engine end to end (load crates.io archive, read + parse Cargo.lock, match): {} ({}), {engine_n} findings",
        ms(engine_med),
        ms(engine_min)
    );
    let rustsec = shared().join("rustsec-advisory-db");
    let (audit_med, audit_min, audit_out) = time(|| cargo_audit(&rustsec, &lock_path));
    let audit_out = audit_out?;
    let ratio = audit_med.as_secs_f64() / engine_med.as_secs_f64();
    println!(
        "- `cargo audit --no-fetch --no-yanked --json` on the same Cargo.lock: {} ({}), {} advisories",
        ms(audit_med),
        ms(audit_min),
        audit_out.len()
    );
    println!(
        "- ratio cargo audit / engine, cold (engine loads the archive every run, as cargo audit loads its database): {ratio:.1}x; target >= 5x: {}",
        verdict(ratio >= 5.0)
    );
    // With an index file next to the archive (built once, reused while the archive is the same).
    let index = dir.path().join("crates.io.index");
    AdvisoryDb::new()
        .load_zip_file_indexed(&crates_zip, &index)
        .map_err(|e| e.to_string())?;
    let (indexed_med, indexed_min, _) = time(|| -> Result<usize, String> {
        let mut db = AdvisoryDb::new();
        db.load_zip_file_indexed(&crates_zip, &index)
            .map_err(|e| e.to_string())?;
        let snapshot = Snapshot::from_dir(&lock_dir).map_err(|e| e.to_string())?;
        Ok(db.scan(&analyze(&snapshot)).len())
    });
    let indexed_ratio = audit_med.as_secs_f64() / indexed_med.as_secs_f64();
    println!(
        "- engine end to end through the archive's index file (cold process state, index built beforehand): {} ({}); ratio cargo audit / engine: {indexed_ratio:.1}x; target >= 5x: {}",
        ms(indexed_med),
        ms(indexed_min),
        verdict(indexed_ratio >= 5.0)
    );
    // The agent is long-running: it loads the archives once and scans many repositories.
    let mut warm_db = AdvisoryDb::new();
    warm_db
        .load_zip_file(&crates_zip)
        .map_err(|e| e.to_string())?;
    let (warm_med, warm_min, _) = time(|| -> Result<usize, String> {
        let snapshot = Snapshot::from_dir(&lock_dir).map_err(|e| e.to_string())?;
        Ok(warm_db.scan(&analyze(&snapshot)).len())
    });
    println!(
        "- engine warm (archive already loaded; read + parse Cargo.lock, match): {} ({}); ratio cargo audit / engine: {:.1}x",
        ms(warm_med),
        ms(warm_min),
        audit_med.as_secs_f64() / warm_med.as_secs_f64()
    );

    // The same comparison as the oracle test, on the large lockfile.
    let large = engine_rows(
        &warm_db,
        &Snapshot::from_dir(&lock_dir).map_err(|e| e.to_string())?,
    );
    let same_large = large == audit_out;
    println!(
        "- large Cargo.lock, advisory by advisory: cargo audit {}, engine {}; identical: {}",
        audit_out.len(),
        large.len(),
        verdict(same_large)
    );
    if !same_large {
        ok = false;
        for l in audit_out.difference(&large) {
            println!("  only cargo audit: {l}");
        }
        for l in large.difference(&audit_out) {
            println!("  only engine: {l}");
        }
    }

    // 2. Archive load and index.
    let archives = ["crates.io", "Go", "PyPI"];
    for a in archives {
        let path = osv.join(a).join("all.zip");
        let (med, min, n) = time(|| {
            let mut db = AdvisoryDb::new();
            db.load_zip_file(&path).map(|_| db.len())
        });
        let n = n.map_err(|e| e.to_string())?;
        println!(
            "- load + index `{a}/all.zip` ({n} records): {} ({})",
            ms(med),
            ms(min)
        );
    }
    let (all_med, all_min, _) = time(|| {
        let mut db = AdvisoryDb::new();
        db.load_dir(&osv).map(|_| db.len())
    });
    println!(
        "- all three archives in one database: {} ({}); target < 1000 ms: {}",
        ms(all_med),
        ms(all_min),
        verdict(all_med < Duration::from_secs(1))
    );

    let mut db = AdvisoryDb::new();
    db.load_dir(&osv).map_err(|e| e.to_string())?;

    generated_lockfiles(&mut db);
    maven_parents()?;

    // 4. The large Cargo.lock against the combined database.
    let snapshot = Snapshot::new().with("Cargo.lock", cargo_lock.as_bytes().to_vec());
    let (med, min, n) = time(|| {
        let analysis = analyze(&snapshot);
        (analysis.dependencies.len(), db.scan(&analysis).len())
    });
    println!(
        "- large Cargo.lock ({} KiB), parse + match: {} ({}), {} packages, {} findings",
        cargo_lock.len() / 1024,
        ms(med),
        ms(min),
        n.0,
        n.1
    );

    // 5. The oracle, live: the committed fixture against cargo audit run now.
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oracle");
    let live = cargo_audit(&rustsec, &fixture.join("Cargo.lock"))?;
    let mut crates_db = AdvisoryDb::new();
    crates_db
        .load_zip_file(&crates_zip)
        .map_err(|e| e.to_string())?;
    let engine = engine_rows(
        &crates_db,
        &Snapshot::from_dir(&fixture).map_err(|e| e.to_string())?,
    );
    let same = engine == live;
    println!(
        "- oracle (tests/fixtures/oracle/Cargo.lock): cargo audit {} advisories ({} vulnerabilities), engine {}; identical: {}",
        live.len(),
        live.iter().filter(|l| l.starts_with("vulnerability ")).count(),
        engine.len(),
        verdict(same)
    );
    if !same {
        ok = false;
        for l in live.difference(&engine) {
            println!("  only cargo audit: {l}");
        }
        for l in engine.difference(&live) {
            println!("  only engine: {l}");
        }
    }
    Ok(ok)
}

/// `kind id crate version` for every advisory the engine reports, as `cargo_audit` lists them.
fn engine_rows(db: &AdvisoryDb, snapshot: &Snapshot) -> BTreeSet<String> {
    let analysis = analyze(snapshot);
    let mut rows = BTreeSet::new();
    for f in db.scan(&analysis) {
        let dep = &analysis.dependencies[f.dependency];
        for r in &f.records {
            let kind = r.informational().unwrap_or("vulnerability");
            rows.insert(format!(
                "{kind} {} {} {}",
                r.id(),
                dep.name,
                dep.version.as_deref().unwrap_or("")
            ));
        }
    }
    rows
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

/// Runs cargo audit and returns `kind id crate version` lines for every advisory it reports.
fn cargo_audit(db: &Path, lock: &Path) -> Result<BTreeSet<String>, String> {
    let out = Command::new("cargo")
        .args(["audit", "--db"])
        .arg(db)
        .args(["--no-fetch", "--no-yanked", "--json", "-f"])
        .arg(lock)
        .output()
        .map_err(|e| format!("could not run cargo audit ({e}); install it with `cargo install cargo-audit --locked`"))?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "cargo audit printed no JSON ({e}); stderr: {}; install it with `cargo install cargo-audit --locked`",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let mut lines = BTreeSet::new();
    let row = |kind: &str, v: &serde_json::Value| -> Option<String> {
        Some(format!(
            "{kind} {} {} {}",
            v["advisory"]["id"].as_str()?,
            v["package"]["name"].as_str()?,
            v["package"]["version"].as_str()?
        ))
    };
    for v in json["vulnerabilities"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        lines.extend(row("vulnerability", v));
    }
    for (kind, list) in json["warnings"].as_object().into_iter().flatten() {
        for v in list.as_array().into_iter().flatten() {
            lines.extend(row(kind, v));
        }
    }
    Ok(lines)
}

/// A lockfileVersion 3 file with `n` packages, a third of them nested, and OSV records for
/// every tenth package.
fn npm_lockfile(n: usize) -> (String, Vec<Record>) {
    let mut lock =
        String::from("{\n  \"name\": \"bench\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n");
    lock.push_str("    \"\": {\n      \"name\": \"bench\",\n      \"dependencies\": {\n");
    for i in 0..50 {
        let _ = writeln!(
            lock,
            "        \"pkg-{i}\": \"^1.0.0\"{}",
            if i < 49 { "," } else { "" }
        );
    }
    lock.push_str("      }\n    }");
    let mut records = Vec::new();
    for i in 0..n {
        let key = if i % 3 == 2 {
            format!("node_modules/pkg-{}/node_modules/pkg-{i}", i - 1)
        } else {
            format!("node_modules/pkg-{i}")
        };
        let _ = write!(
            lock,
            ",\n    \"{key}\": {{\n      \"version\": \"1.{}.{}\",\n      \"resolved\": \"https://registry.npmjs.org/pkg-{i}/-/pkg-{i}-1.0.0.tgz\",\n      \"integrity\": \"sha512-{}\",\n      \"dependencies\": {{\n        \"pkg-{}\": \"^1.0.0\"\n      }}\n    }}",
            i % 7,
            i % 5,
            "A".repeat(86),
            (i + 1) % n
        );
        if i % 10 == 0 {
            let json = format!(
                r#"{{"id": "BENCH-{i}", "affected": [{{"package": {{"ecosystem": "npm", "name": "pkg-{i}"}},
                "ranges": [{{"type": "SEMVER", "events": [{{"introduced": "0"}}, {{"fixed": "1.3.0"}}]}}]}}]}}"#
            );
            records.push(Record::from_json("bench", json.as_bytes()).expect("valid record"));
        }
    }
    lock.push_str("\n  }\n}\n");
    (lock, records)
}

/// A lockfileVersion 9.0 pnpm-lock.yaml with the packages of [`npm_lockfile`]: 50 direct
/// dependencies, each package depending on the next.
fn pnpm_lockfile(n: usize) -> String {
    let mut lock = String::from("lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n  excludeLinksFromLockfile: false\n\nimporters:\n\n  .:\n    dependencies:\n");
    let version = |i: usize| format!("1.{}.{}", i % 7, i % 5);
    for i in 0..50 {
        let _ = write!(
            lock,
            "      pkg-{i}:\n        specifier: ^1.0.0\n        version: {}\n",
            version(i)
        );
    }
    lock.push_str("\npackages:\n");
    for i in 0..n {
        let _ = write!(
            lock,
            "\n  pkg-{i}@{}:\n    resolution: {{integrity: sha512-{}}}\n    engines: {{node: '>=8'}}\n",
            version(i),
            "A".repeat(86)
        );
    }
    lock.push_str("\nsnapshots:\n");
    for i in 0..n {
        let next = (i + 1) % n;
        let _ = write!(
            lock,
            "\n  pkg-{i}@{}:\n    dependencies:\n      pkg-{next}: {}\n",
            version(i),
            version(next)
        );
    }
    lock
}

/// Figure 3, generated 5,000-package lockfiles, parse + match: a `package-lock.json` and the
/// same packages as a `yarn.lock` and a `pnpm-lock.yaml`, against `db` plus npm records (no
/// real npm data is shipped, so 500 synthetic records in the OSV format cover every tenth
/// package).
fn generated_lockfiles(db: &mut AdvisoryDb) {
    let (lock, records) = npm_lockfile(5_000);
    for r in records {
        db.insert(r);
    }
    let (manifest, yarn_lock) = yarn_lockfile(5_000);
    let pnpm_lock = pnpm_lockfile(5_000);
    let (pyproject, pdm_lock) = pdm::lockfile(5_000);
    let (bun_manifest, bun_lock) = bun::lockfile(5_000);
    let cases = [
        // The 5,000 packages as a package-lock.json.
        ("package-lock.json", &lock, None),
        // The same packages as a classic yarn.lock beside its package.json.
        ("yarn.lock", &yarn_lock, Some(manifest)),
        // 3b. The same packages as a pnpm-lock.yaml (lockfileVersion 9.0).
        ("pnpm-lock.yaml", &pnpm_lock, None),
        // 3d. 5,000 PyPI packages as a pdm.lock beside its pyproject.toml (matched against the
        // real PyPI records).
        ("pdm.lock", &pdm_lock, Some(pyproject)),
        // 3f. The npm packages as a bun.lock beside its package.json.
        ("bun.lock", &bun_lock, Some(bun_manifest)),
    ];
    for (file, text, manifest) in cases {
        let mut snapshot = Snapshot::new().with(file, text.as_bytes().to_vec());
        if let Some(manifest) = manifest {
            let name = if file == "pdm.lock" {
                "pyproject.toml"
            } else {
                "package.json"
            };
            snapshot = snapshot.with(name, manifest.into_bytes());
        }
        let (med, min, n) = time(|| {
            let analysis = analyze(&snapshot);
            (analysis.dependencies.len(), db.scan(&analysis).len())
        });
        println!(
            "- 5,000-package {file} ({} KiB), parse + match: {} ({}), {} packages, {} findings; target < 50 ms: {}",
            text.len() / 1024,
            ms(med),
            ms(min),
            n.0,
            n.1,
            verdict(med < Duration::from_millis(50))
        );
    }
    pdm::fix_through_the_graph();
    bun::fix_through_the_tree();
}

/// Figure 3c, Maven parents from the registry: 100 modules under a root POM whose parent is a
/// company parent from the registry, itself under a dependencies POM that imports 40 BOMs of 50
/// managed modules each, every BOM with a parent of its own (82 POMs to fetch, Spring Boot's
/// scale), and the POMs of the 400 modules the 100 modules declare and of the 400 they bring.
/// Fetching runs against an in-memory registry (the round trips are the registry's); then
/// parse, dependency tree and match of the 100 modules with the fetched POMs.
fn maven_parents() -> Result<(), String> {
    use gitproxy_remediation::analysis::maven::{fetch_maven_poms, fetch_maven_poms_in_flight};
    use gitproxy_remediation::registry::StaticRegistry;
    let pom =
        |body: &str| format!("<project>\n  <modelVersion>4.0.0</modelVersion>\n{body}</project>\n");
    let mut registry = StaticRegistry::new()
        .maven_pom("com.example:platform-parent", "1", &pom("  <parent><groupId>com.example</groupId><artifactId>platform-dependencies</artifactId><version>1</version></parent>\n  <artifactId>platform-parent</artifactId>\n"));
    let mut imports = String::new();
    for b in 0..40 {
        let _ = writeln!(
            imports,
            "      <dependency><groupId>org.bom{b}</groupId><artifactId>bom</artifactId><version>${{bom{b}.version}}</version><type>pom</type><scope>import</scope></dependency>"
        );
        let mut managed = String::new();
        for m in 0..50 {
            let _ = writeln!(
                managed,
                "      <dependency><groupId>org.bom{b}</groupId><artifactId>m{m}</artifactId><version>${{v}}</version></dependency>"
            );
        }
        // Each managed module's own POM, with one dependency of its own (the next module).
        for m in 0..10 {
            let next = format!("<dependencies><dependency><groupId>org.bom{b}</groupId><artifactId>leaf{m}</artifactId><version>1.0</version></dependency></dependencies>");
            registry = registry
                .maven_pom(&format!("org.bom{b}:m{m}"), &format!("2.0.{b}"), &pom(&format!("  <groupId>org.bom{b}</groupId>\n  <artifactId>m{m}</artifactId>\n  <version>2.0.{b}</version>\n  {next}\n")))
                .maven_pom(&format!("org.bom{b}:leaf{m}"), "1.0", &pom(&format!("  <groupId>org.bom{b}</groupId>\n  <artifactId>leaf{m}</artifactId>\n  <version>1.0</version>\n")));
        }
        registry = registry
            .maven_pom(&format!("org.bom{b}:bom"), "2.0", &pom(&format!("  <parent><groupId>org.bom{b}</groupId><artifactId>parent</artifactId><version>2.0</version></parent>\n  <artifactId>bom</artifactId>\n  <properties><v>2.0.{b}</v></properties>\n  <dependencyManagement>\n    <dependencies>\n{managed}    </dependencies>\n  </dependencyManagement>\n")))
            .maven_pom(&format!("org.bom{b}:parent"), "2.0", &pom(&format!("  <groupId>org.bom{b}</groupId>\n  <artifactId>parent</artifactId>\n  <version>2.0</version>\n")));
    }
    let properties: String = (0..40)
        .map(|b| format!("<bom{b}.version>2.0</bom{b}.version>"))
        .collect();
    registry = registry.maven_pom("com.example:platform-dependencies", "1", &pom(&format!("  <groupId>com.example</groupId>\n  <artifactId>platform-dependencies</artifactId>\n  <version>1</version>\n  <properties>{properties}</properties>\n  <dependencyManagement>\n    <dependencies>\n{imports}    </dependencies>\n  </dependencyManagement>\n")));
    let mut snapshot = Snapshot::new().with("pom.xml", pom("  <parent><groupId>com.example</groupId><artifactId>platform-parent</artifactId><version>1</version><relativePath/></parent>\n  <groupId>com.example</groupId>\n  <artifactId>root</artifactId>\n  <version>1</version>\n  <packaging>pom</packaging>\n"));
    for i in 0..100 {
        let deps: String = (0..10)
            .map(|d| format!("    <dependency><groupId>org.bom{}</groupId><artifactId>m{}</artifactId></dependency>\n", (i + d) % 40, d))
            .collect();
        snapshot.insert(
            format!("module{i}/pom.xml"),
            pom(&format!("  <parent><groupId>com.example</groupId><artifactId>root</artifactId><version>1</version></parent>\n  <artifactId>module{i}</artifactId>\n  <dependencies>\n{deps}  </dependencies>\n")),
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| e.to_string())?;
    let (fetch_med, fetch_min, fetched) = time(|| {
        let mut s = snapshot.clone();
        let fetched = runtime.block_on(fetch_maven_poms(&mut s, &registry));
        (fetched, s)
    });
    // The same with each POM taking 2 ms to arrive, as from a registry on the network: one
    // request at a time against the default number in flight, side by side.
    let slow = Slow(&registry);
    let fetch_with = |in_flight: usize| {
        let start = Instant::now();
        let mut s = snapshot.clone();
        let f = runtime.block_on(fetch_maven_poms_in_flight(&mut s, &slow, in_flight));
        (start.elapsed(), f.added)
    };
    let (one, one_added) = fetch_with(1);
    let (many, many_added) = fetch_with(gitproxy_remediation::analysis::maven::IN_FLIGHT);
    println!(
        "- Maven: fetching the same {one_added}/{many_added} POMs with 2 ms per request: one at a time {}, {} in flight {}: {:.1}x",
        ms(one),
        gitproxy_remediation::analysis::maven::IN_FLIGHT,
        ms(many),
        one.as_secs_f64() / many.as_secs_f64()
    );
    let (fetched, with_parents) = fetched;
    let db = AdvisoryDb::new();
    let (med, min, n) = time(|| {
        let analysis = analyze(&with_parents);
        (
            analysis.dependencies.len(),
            analysis.problems.len(),
            db.scan(&analysis).len(),
        )
    });
    println!(
        "- Maven: 100 modules under a parent from the registry that imports 40 BOMs, each module declaring 10 managed modules that bring one more each: fetching {} POMs in rounds (in-memory registry) {} ({}), {} still missing; parse + tree + match with them {} ({}), {} dependencies, {} problems; target < 500 ms: {}",
        fetched.added,
        ms(fetch_med),
        ms(fetch_min),
        fetched.failed.len(),
        ms(med),
        ms(min),
        n.0,
        n.1,
        verdict(med < Duration::from_millis(500))
    );
    if fetched.added != 82 + 800 || !fetched.failed.is_empty() || n.0 != 2_000 || n.1 != 0 {
        return Err(format!(
            "the Maven parents figure read wrongly: {fetched:?}, {n:?}"
        ));
    }
    Ok(())
}

/// A registry whose POMs take 2 ms each to arrive.
struct Slow<'a>(&'a gitproxy_remediation::registry::StaticRegistry);

#[async_trait::async_trait]
impl gitproxy_remediation::registry::Registry for Slow<'_> {
    async fn versions(
        &self,
        ecosystem: gitproxy_remediation::Ecosystem,
        name: &str,
    ) -> Result<Vec<gitproxy_remediation::registry::RegistryVersion>, gitproxy_remediation::Error>
    {
        self.0.versions(ecosystem, name).await
    }

    async fn digests(
        &self,
        ecosystem: gitproxy_remediation::Ecosystem,
        name: &str,
        version: &str,
    ) -> Result<Vec<gitproxy_remediation::registry::Digest>, gitproxy_remediation::Error> {
        self.0.digests(ecosystem, name, version).await
    }

    async fn maven_pom(
        &self,
        name: &str,
        version: &str,
    ) -> Result<Option<String>, gitproxy_remediation::Error> {
        tokio::time::sleep(Duration::from_millis(2)).await;
        self.0.maven_pom(name, version).await
    }
}

/// The packages of [`npm_lockfile`] as a classic yarn.lock (two patterns per entry, one
/// dependency each) and the `package.json` that requires the first 50.
fn yarn_lockfile(n: usize) -> (String, String) {
    let mut manifest = String::from("{\n  \"name\": \"bench\",\n  \"dependencies\": {\n");
    for i in 0..50 {
        let _ = writeln!(
            manifest,
            "    \"pkg-{i}\": \"^1.0.0\"{}",
            if i < 49 { "," } else { "" }
        );
    }
    manifest.push_str("  }\n}\n");
    let mut lock = String::from(
        "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n",
    );
    for i in 0..n {
        let _ = write!(
            lock,
            "\npkg-{i}@^1.0.0, pkg-{i}@^1.{}.0:\n  version \"1.{}.{}\"\n  resolved \"https://registry.yarnpkg.com/pkg-{i}/-/pkg-{i}-1.{}.{}.tgz#{}\"\n  integrity sha512-{}\n  dependencies:\n    pkg-{} \"^1.0.0\"\n",
            i % 7,
            i % 7,
            i % 5,
            i % 7,
            i % 5,
            "0".repeat(40),
            "A".repeat(86),
            (i + 1) % n
        );
    }
    (manifest, lock)
}

/// A Cargo.lock with every crate the archive names (at a low version, so many match) plus
/// filler crates up to `n` packages.
fn large_cargo_lock(zip: &Path, n: usize) -> Result<String, String> {
    let mut db = AdvisoryDb::new();
    db.load_zip_file(zip).map_err(|e| e.to_string())?;
    let mut names: BTreeSet<String> = osv_names(&db).into_iter().collect();
    let mut i = 0;
    while names.len() < n {
        names.insert(format!("filler-crate-{i}"));
        i += 1;
    }
    let mut out = String::from("version = 3\n\n[[package]]\nname = \"bench-root\"\nversion = \"0.1.0\"\ndependencies = [\n");
    for name in &names {
        let _ = writeln!(out, " \"{name}\",");
    }
    out.push_str("]\n");
    for (k, name) in names.iter().enumerate() {
        let _ = write!(
            out,
            "\n[[package]]\nname = \"{name}\"\nversion = \"0.{}.{}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            k % 4,
            k % 9,
            "0".repeat(64)
        );
    }
    Ok(out)
}

fn osv_names(db: &AdvisoryDb) -> Vec<String> {
    db.records()
        .flat_map(|r| {
            r.affected
                .iter()
                .filter_map(|a| a.package.as_ref().map(|p| p.name.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}
