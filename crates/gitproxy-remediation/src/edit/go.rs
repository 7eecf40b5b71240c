//! Go edits: the `require` line of `go.mod` and the module's two `go.sum` lines.

use super::{edit_error, Work};
use crate::analysis::Dependency;
use crate::files::{dir_of, join};
use crate::plan::PackageFix;
use crate::registry::Digest;
use crate::{Ecosystem, Error};

pub(super) fn edit(
    work: &mut Work,
    fix: &PackageFix,
    dep: &Dependency,
    digests: &[Digest],
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
    let zip = digests.iter().find(|d| d.artifact.is_none());
    let gomod = digests
        .iter()
        .find(|d| d.artifact.as_deref() == Some("go.mod"));
    let (Some(zip), Some(gomod)) = (zip, gomod) else {
        work.out.needs_package_manager = true;
        work.out.note(format!(
            "{sum_path} was not updated because the module proxy gave no hashes for {}@{to}: run `go mod tidy`",
            fix.name
        ));
        return Ok(());
    };
    let module = &dep.name;
    let mut entries: Vec<String> = sum
        .lines()
        .filter(|l| {
            !l.starts_with(&format!("{module} {from} "))
                && !l.starts_with(&format!("{module} {from}/go.mod "))
        })
        .map(String::from)
        .collect();
    entries.push(format!("{module} {to} {}", zip.value));
    entries.push(format!("{module} {to}/go.mod {}", gomod.value));
    entries.sort_by_key(|e| go_sum_key(e));
    entries.dedup();
    let mut new_sum = entries.join("\n");
    new_sum.push('\n');
    work.write(&sum_path, new_sum);
    Ok(())
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
