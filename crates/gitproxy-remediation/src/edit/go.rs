//! Go edits: the `require` line of `go.mod`, the requirements the new version's `go.mod` raises
//! or adds (`graph.rs`), and the `go.sum` lines of every module version that moved.

use std::collections::BTreeMap;

use super::{edit_error, Work};
use crate::analysis::Dependency;
use crate::files::{dir_of, join};
use crate::plan::PackageFix;
use crate::registry::{Digest, Registry};
use crate::{Ecosystem, Error};

mod graph;

pub(super) async fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    digests: &[Digest],
    registry: &dyn Registry,
) -> Result<(), Error> {
    let path = dep.location.file.clone();
    let text = work.text(&path)?;
    let from = dep.version.as_deref().unwrap_or("");
    let to = if fix.to.starts_with('v') {
        fix.to.clone()
    } else {
        format!("v{}", fix.to)
    };
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split_inclusive('\n').enumerate() {
        if n + 1 == dep.location.line as usize {
            let replaced = line.replacen(&format!(" {from}"), &format!(" {to}"), 1);
            if replaced == line {
                return Err(edit_error(
                    &path,
                    format!("no `{from}` on line {}", dep.location.line),
                ));
            }
            out.push_str(&replaced);
        } else {
            out.push_str(line);
        }
    }
    work.write(&path, out);
    let sum_path = join(dir_of(&path), "go.sum");
    let Some(sum) = work.snapshot.text(&sum_path).map(String::from) else {
        return Ok(());
    };
    let zip_digest = digests.iter().find(|d| d.artifact.is_none()).cloned();
    let mod_digest = digests
        .iter()
        .find(|d| d.artifact.as_deref() == Some("go.mod"))
        .cloned();
    let (Some(zip_digest), Some(mod_digest)) = (zip_digest, mod_digest) else {
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{sum_path} was not updated because the module proxy gave no hashes for {}@{to}: run `go mod tidy`",
            fix.name
        ));
        return Ok(());
    };
    let module = &dep.name;
    let selected: BTreeMap<String, String> = graph::requires(&text).into_iter().collect();
    let Some(moves) = graph::resolve(registry, &selected, module, from, &to).await? else {
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{sum_path} was not updated because the module proxy gave no go.mod for a module {}@{to} needs: run `go mod tidy`",
            fix.name
        ));
        return Ok(());
    };
    let mut lines: Vec<String> = Vec::new();
    for (m, (_, new)) in &moves.changed {
        let found = if m == module {
            vec![zip_digest.clone(), mod_digest.clone()]
        } else {
            registry.digests(Ecosystem::Go, m, new).await?
        };
        let zip = found.iter().find(|d| d.artifact.is_none());
        let modh = found
            .iter()
            .find(|d| d.artifact.as_deref() == Some("go.mod"));
        let (Some(zip), Some(modh)) = (zip, modh) else {
            work.out.needs_package_manager = true;
            work.out.note(format!(
                "{sum_path} was not updated because the module proxy gave no hashes for {m}@{new}: run `go mod tidy`"
            ));
            return Ok(());
        };
        lines.push(format!("{m} {new} {}", zip.value));
        lines.push(format!("{m} {new}/go.mod {}", modh.value));
    }
    // Every hash is known: raise or add the requirements the new version brings (minimal
    // version selection), so go.mod and go.sum change together or not at all.
    let mut gomod = work.text(&path)?;
    for (m, (old, new)) in &moves.changed {
        if m == module {
            continue;
        }
        gomod = match old {
            Some(old) => raise(&gomod, m, old, new),
            None if graph::go_directive(&gomod) >= (1, 17) => add_indirect(&gomod, m, new),
            None => gomod,
        };
    }
    work.write(&path, gomod);
    // Versions a fetched go.mod still requires keep (or get) their `/go.mod` line.
    for (m, v) in &moves.referenced {
        let known = sum
            .lines()
            .any(|l| l.starts_with(&format!("{m} {v}/go.mod ")))
            || lines
                .iter()
                .any(|l| l.starts_with(&format!("{m} {v}/go.mod ")));
        if !known {
            if let Some(h) = graph::go_mod_hash(registry, m, v).await? {
                lines.push(format!("{m} {v}/go.mod {h}"));
            }
        }
    }
    let mut entries: Vec<String> = sum
        .lines()
        .filter(|l| {
            !moves.changed.iter().any(|(m, (old, _))| {
                let Some(old) = old else { return false };
                let still = moves.referenced.contains(&(m.clone(), old.clone()));
                l.starts_with(&format!("{m} {old} "))
                    || (!still && l.starts_with(&format!("{m} {old}/go.mod ")))
            })
        })
        .map(String::from)
        .collect();
    entries.extend(lines);
    entries.sort_by_key(|e| go_sum_key(e));
    entries.dedup();
    let mut new_sum = entries.join("\n");
    new_sum.push('\n');
    work.write(&sum_path, new_sum);
    Ok(())
}

/// `go.mod` with the requirement `module old` raised to `new` (comments kept).
fn raise(gomod: &str, module: &str, old: &str, new: &str) -> String {
    let mut out = String::with_capacity(gomod.len());
    for line in gomod.split_inclusive('\n') {
        let code = line.split("//").next().unwrap_or("");
        let words: Vec<&str> = code.split_whitespace().collect();
        let hit =
            matches!(words.as_slice(), [m, v] | ["require", m, v] if *m == module && *v == old);
        if hit {
            out.push_str(&line.replacen(&format!("{module} {old}"), &format!("{module} {new}"), 1));
        } else {
            out.push_str(line);
        }
    }
    out
}

/// `go.mod` with `module new // indirect` added to the block of indirect requirements (or a new
/// block at the end).
fn add_indirect(gomod: &str, module: &str, new: &str) -> String {
    let entry = format!("\t{module} {new} // indirect\n");
    let lines: Vec<&str> = gomod.split_inclusive('\n').collect();
    let mut block_start = None;
    let mut target: Option<(usize, usize)> = None; // (start, end) of an indirect block
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if t == "require (" {
            block_start = Some(i);
        } else if t == ")" {
            if let Some(s) = block_start.take() {
                if lines[s..i].iter().any(|x| x.contains("// indirect")) {
                    target = Some((s, i));
                }
            }
        }
    }
    let Some((start, end)) = target else {
        let mut out = gomod.to_string();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("\nrequire (\n{entry})\n"));
        return out;
    };
    let at = (start + 1..end)
        .find(|&i| lines[i].split_whitespace().next().unwrap_or("") > module)
        .unwrap_or(end);
    let mut out: String = lines[..at].concat();
    out.push_str(&entry);
    out.push_str(&lines[at..].concat());
    out
}

fn go_sum_key(line: &str) -> (String, Option<crate::version::Version>, String) {
    let mut parts = line.split(' ');
    let module = parts.next().unwrap_or("").to_string();
    let version = parts.next().unwrap_or("");
    let bare = version.trim_end_matches("/go.mod");
    (
        module,
        crate::version::Version::parse(Ecosystem::Go, bare).ok(),
        version.to_string(),
    )
}

#[cfg(test)]
mod tests;
