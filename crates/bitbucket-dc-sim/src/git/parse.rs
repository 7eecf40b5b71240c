//! Parsers for the machine-readable output of `git ls-tree`, `git log` (our record format) and `git diff --raw`.

use super::types::{Change, CommitInfo, EntryKind, TreeEntry};

pub(crate) fn parse_ls_tree(out: &[u8]) -> Vec<TreeEntry> {
    out.split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .filter_map(|record| {
            let text = String::from_utf8_lossy(record);
            let (meta, path) = text.split_once('\t')?;
            let mut parts = meta.split_whitespace();
            let mode = parts.next()?.to_owned();
            let kind = match parts.next()? {
                "blob" => EntryKind::File,
                "tree" => EntryKind::Directory,
                _ => EntryKind::Submodule,
            };
            let oid = parts.next()?.to_owned();
            let size = parts.next().and_then(|s| s.parse().ok());
            Some(TreeEntry {
                mode,
                kind,
                oid,
                size,
                path: path.to_owned(),
            })
        })
        .collect()
}

pub(crate) fn parse_log(out: &[u8]) -> Vec<CommitInfo> {
    let text = String::from_utf8_lossy(out);
    text.split('\u{1e}')
        .filter_map(|record| {
            let record = record.trim_start_matches('\n');
            if record.is_empty() {
                return None;
            }
            let fields: Vec<&str> = record.splitn(9, '\u{1f}').collect();
            if fields.len() < 9 {
                return None;
            }
            Some(CommitInfo {
                id: fields[0].to_owned(),
                parents: fields[1].split_whitespace().map(str::to_owned).collect(),
                author_name: fields[2].to_owned(),
                author_email: fields[3].to_owned(),
                author_time: fields[4].parse().unwrap_or(0),
                committer_name: fields[5].to_owned(),
                committer_email: fields[6].to_owned(),
                committer_time: fields[7].parse().unwrap_or(0),
                message: fields[8].trim_end().to_owned(),
            })
        })
        .collect()
}

pub(crate) fn parse_raw_diff(out: &[u8]) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut fields = out.split(|b| *b == 0);
    while let Some(meta) = fields.next() {
        let meta = String::from_utf8_lossy(meta);
        let Some(meta) = meta.strip_prefix(':') else {
            continue;
        };
        let parts: Vec<&str> = meta.split_whitespace().collect();
        if parts.len() < 5 {
            continue;
        }
        let status = parts[4];
        let kind = status.chars().next().unwrap_or('M');
        let percent = status[1..].parse().ok();
        let first = fields
            .next()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default();
        let (path, src_path) = if matches!(kind, 'R' | 'C') {
            let second = fields
                .next()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .unwrap_or_default();
            (second, Some(first))
        } else {
            (first, None)
        };
        changes.push(Change {
            kind,
            path,
            src_path,
            content_id: parts[3].to_owned(),
            from_content_id: parts[2].to_owned(),
            executable: parts[1] == "100755",
            src_executable: parts[0] == "100755",
            percent,
        });
    }
    changes
}
