//! One advisory sync batch (a full per-ecosystem `all.zip` or a delta of changed and withdrawn
//! records since a watermark), validated whole before anything changes, and applied as a new
//! database that shares every unchanged record with the old one.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use super::export::newest;
use super::load::decode_archive;
use super::{informational_of, memory_estimate, AdvisoryDb, Raw, Slot};
use crate::osv::Record;
use crate::{Ecosystem, Error};

/// What a batch changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncChange {
    /// The ecosystem's whole OSV export (`<ECOSYSTEM>/all.zip`): replaces every record of it.
    Full {
        /// The archive bytes.
        archive: Vec<u8>,
    },
    /// The records changed and withdrawn since `since` (OSV's `modified_id.csv` newer than it).
    Delta {
        /// The watermark the delta starts from; must not be newer than the agent's.
        since: String,
        /// The changed or new records, each one OSV JSON document.
        records: Vec<Vec<u8>>,
        /// Ids of records to remove.
        withdrawn: Vec<String>,
    },
}

/// One sync batch for one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncBatch {
    /// The OSV ecosystem name (`crates.io`, `PyPI`, `Go`, ...).
    pub ecosystem: String,
    /// The newest `modified` time the batch reflects (RFC 3339): the agent's new watermark.
    pub watermark: String,
    /// What changes.
    pub change: SyncChange,
}

/// The limits every batch is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncLimits {
    /// Largest archive of a full sync, compressed.
    pub max_archive_bytes: usize,
    /// Largest single record, as JSON.
    pub max_record_bytes: usize,
    /// Most records in one batch.
    pub max_records: usize,
    /// Largest total of an archive's members once inflated, as its directory announces them.
    pub max_inflated_bytes: usize,
    /// Most memory the advisory data may take while a batch is applied: the data already held
    /// (the records a batch replaces included, as they serve until the swap) plus the batch's
    /// records, each estimated at about three times its JSON ([`AdvisoryDb::estimated_bytes`]).
    /// Checked before an archive is inflated or a record decoded.
    pub max_memory_bytes: usize,
}

impl Default for SyncLimits {
    fn default() -> Self {
        SyncLimits {
            max_archive_bytes: 256 << 20,
            max_record_bytes: 1 << 20,
            max_records: 1_000_000,
            max_inflated_bytes: 2 << 30,
            max_memory_bytes: 128 << 20,
        }
    }
}

/// A batch that passed validation: ready to apply.
pub(super) struct Validated {
    pub(super) ecosystem: Ecosystem,
    pub(super) full: bool,
    pub(super) slots: Vec<Slot>,
    pub(super) withdrawn: HashSet<String>,
}

impl SyncBatch {
    fn refuse(&self, reason: impl Into<String>) -> Error {
        Error::AdvisorySync {
            ecosystem: self.ecosystem.clone(),
            reason: reason.into(),
        }
    }

    /// Checks the watermark and every record (schema, ecosystem, size and memory limits, with
    /// `held` bytes of advisory data already in memory); any failure refuses the whole batch.
    pub(super) fn validate(&self, limits: &SyncLimits, held: usize) -> Result<Validated, Error> {
        if rfc3339_nanos(&self.watermark).is_none() {
            return Err(self.refuse(format!(
                "watermark `{}` is not an RFC 3339 time",
                self.watermark
            )));
        }
        self.validate_records(limits, held)
    }

    /// Validates a full batch that carries no watermark (an OSV mirror's `all.zip`) and takes
    /// its watermark from its records, the newest `modified` time among them: one validation,
    /// under the same limits as [`SyncBatch::validate`].
    pub(super) fn validate_taking_watermark(
        &mut self,
        limits: &SyncLimits,
        held: usize,
    ) -> Result<Validated, Error> {
        if !matches!(self.change, SyncChange::Full { .. }) {
            return Err(self.refuse("only a full archive takes its watermark from its records"));
        }
        let validated = self.validate_records(limits, held)?;
        self.watermark =
            newest(validated.slots.iter().filter_map(|s| s.modified)).ok_or_else(|| {
                self.refuse(
                    "no record has an RFC 3339 `modified` time to take a watermark from; \
                 check that the archive holds OSV records",
                )
            })?;
        Ok(validated)
    }

    /// Refuses a batch whose records would take the advisory data past `max_memory_bytes`.
    fn check_memory(&self, limits: &SyncLimits, held: usize, incoming: usize) -> Result<(), Error> {
        let needed = held.saturating_add(incoming);
        if needed <= limits.max_memory_bytes {
            return Ok(());
        }
        let mib = |b: usize| b.div_ceil(1 << 20);
        Err(self.refuse(format!(
            "its records would take about {} MiB of memory on top of the {} MiB of advisory data the agent holds, \
             {} MiB in all, above the advisory memory limit of {} MiB; raise the container's memory limit (Helm \
             `resources.limits.memory`: the limit is 40 % of it by default) or `--max-advisory-memory` \
             (GITPROXY_MAX_ADVISORY_MEMORY, Helm `advisories.maxMemory`) to at least {} MiB",
            mib(incoming),
            mib(held),
            mib(needed),
            mib(limits.max_memory_bytes),
            mib(needed),
        )))
    }

    /// Checks every record (schema, ecosystem, size and memory limits), not the watermark.
    fn validate_records(&self, limits: &SyncLimits, held: usize) -> Result<Validated, Error> {
        let ecosystem: Ecosystem = self
            .ecosystem
            .parse()
            .map_err(|_| self.refuse("unknown ecosystem"))?;
        let (full, slots, withdrawn) = match &self.change {
            SyncChange::Full { archive } => {
                if archive.len() > limits.max_archive_bytes {
                    return Err(self.refuse(format!(
                        "the archive's {} bytes exceed the limit of {}",
                        archive.len(),
                        limits.max_archive_bytes
                    )));
                }
                let label = format!("{}/all.zip", self.ecosystem);
                let members = crate::zip::zip_members(archive, &label)
                    .map_err(|e| self.refuse(e.to_string()))?;
                let inflated: usize = members.iter().map(|m| m.size).sum();
                if inflated > limits.max_inflated_bytes {
                    return Err(self.refuse(format!(
                        "the archive inflates to {inflated} bytes, above the limit of {}",
                        limits.max_inflated_bytes
                    )));
                }
                let incoming = members
                    .iter()
                    .fold(0usize, |sum, m| sum.saturating_add(memory_estimate(m.size)));
                self.check_memory(limits, held, incoming)?;
                let slots: Vec<Slot> = decode_archive(archive, &label)
                    .map_err(|e| self.refuse(e.to_string()))?
                    .into_iter()
                    .map(|(_, slot)| slot)
                    .collect();
                (true, slots, HashSet::new())
            }
            SyncChange::Delta {
                since,
                records,
                withdrawn,
            } => {
                if rfc3339_nanos(since).is_none() {
                    return Err(self.refuse(format!("`since` `{since}` is not an RFC 3339 time")));
                }
                let incoming = records.iter().fold(0usize, |sum, r| {
                    sum.saturating_add(memory_estimate(r.len()))
                });
                self.check_memory(limits, held, incoming)?;
                let mut slots = Vec::with_capacity(records.len());
                for (i, json) in records.iter().enumerate() {
                    if json.len() > limits.max_record_bytes {
                        return Err(self.refuse(format!(
                            "record {i} has {} bytes, above the limit of {}",
                            json.len(),
                            limits.max_record_bytes
                        )));
                    }
                    let record = Record::from_json(&format!("record {i}"), json)
                        .map_err(|e| self.refuse(e.to_string()))?;
                    if record.modified.as_deref().and_then(rfc3339_nanos).is_none() {
                        return Err(self.refuse(format!(
                            "record {} has no RFC 3339 `modified` time",
                            record.id
                        )));
                    }
                    let modified =
                        record_time(record.modified.as_deref(), record.published.as_deref());
                    slots.push(Slot {
                        id: record.id,
                        aliases: record.aliases,
                        informational: informational_of(&record.affected),
                        withdrawn: record.withdrawn.is_some(),
                        modified,
                        affected: record.affected,
                        raw: Raw::Json(json.clone().into_boxed_slice()),
                        full: OnceLock::new(),
                    });
                }
                let withdrawn: HashSet<String> = withdrawn.iter().cloned().collect();
                if let Some(id) = withdrawn.iter().find(|id| !valid_id(id)) {
                    return Err(self.refuse(format!("withdrawn id `{id}` is not a record id")));
                }
                (false, slots, withdrawn)
            }
        };
        if slots.len() + withdrawn.len() > limits.max_records {
            return Err(self.refuse(format!(
                "{} records exceed the limit of {} per batch",
                slots.len() + withdrawn.len(),
                limits.max_records
            )));
        }
        let mut seen = HashSet::with_capacity(slots.len());
        for slot in &slots {
            self.check_slot(slot, ecosystem)?;
            if !seen.insert(slot.id.as_str()) {
                return Err(self.refuse(format!("record {} appears twice", slot.id)));
            }
            if withdrawn.contains(&slot.id) {
                return Err(
                    self.refuse(format!("record {} is both changed and withdrawn", slot.id))
                );
            }
        }
        Ok(Validated {
            ecosystem,
            full,
            slots,
            withdrawn,
        })
    }

    /// A record belongs to the batch: a plausible id, and (unless withdrawn) every affected
    /// entry names a package, at least one of them in the batch's ecosystem.
    fn check_slot(&self, slot: &Slot, ecosystem: Ecosystem) -> Result<(), Error> {
        if !valid_id(&slot.id) {
            return Err(self.refuse(format!("record id `{}` is not a record id", slot.id)));
        }
        if slot.affected.iter().any(|a| {
            a.package
                .as_ref()
                .is_none_or(|p| p.name.is_empty() || p.ecosystem.is_empty())
        }) {
            return Err(self.refuse(format!(
                "record {} has an affected entry without a package",
                slot.id
            )));
        }
        if !in_ecosystem(slot, ecosystem) && !slot.withdrawn {
            return Err(self.refuse(format!(
                "record {} affects no {} package",
                slot.id, self.ecosystem
            )));
        }
        Ok(())
    }
}

/// `Debian:11` names the `Debian` ecosystem.
fn base_ecosystem(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}

pub(super) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// Whether `slot` belongs to `ecosystem` (one of its affected packages is in it).
fn in_ecosystem(slot: &Slot, ecosystem: Ecosystem) -> bool {
    slot.affected.iter().any(|a| {
        a.package
            .as_ref()
            .is_some_and(|p| base_ecosystem(&p.ecosystem) == ecosystem.osv_name())
    })
}

/// The database after `batch`: its records first, then every record of `old` it does not
/// replace, shared rather than copied. A full batch replaces every record of its ecosystem, a
/// delta the records it names.
pub(super) fn apply(old: &AdvisoryDb, batch: Validated) -> AdvisoryDb {
    let mut new = AdvisoryDb::new();
    let replaced: HashSet<String> = batch.slots.iter().map(|s| s.id.clone()).collect();
    for slot in batch.slots {
        new.insert_slot(slot);
    }
    for slot in &old.slots {
        let gone = replaced.contains(&slot.id)
            || batch.withdrawn.contains(&slot.id)
            || (batch.full && in_ecosystem(slot, batch.ecosystem));
        if !gone {
            new.insert_shared(Arc::clone(slot));
        }
    }
    new
}

/// Every record of `ecosystem` in `db` as an `all.zip` of `<id>.json` members (stored, not
/// compressed, written one record at a time): what a full batch of the ecosystem would hold to
/// rebuild what `db` holds of it.
pub(super) fn ecosystem_archive(db: &AdvisoryDb, ecosystem: Ecosystem) -> Result<Vec<u8>, Error> {
    let mut zip = crate::zip::StoredZip::default();
    for slot in db.slots.iter().filter(|slot| in_ecosystem(slot, ecosystem)) {
        zip.add(&format!("{}.json", slot.id), &slot.json()?)?;
    }
    zip.finish()
}

/// When a record was last current, for data age and watermarks: its `modified` time, or its
/// `published` time when `modified` is missing or implausible (before 1990: golang/vulndb's files
/// carry `0001-01-01T00:00:00Z`).
pub(crate) fn record_time(modified: Option<&str>, published: Option<&str>) -> Option<i128> {
    const PLAUSIBLE: i128 = 631_152_000 * 1_000_000_000; // 1990-01-01T00:00:00Z
    let plausible = |t: Option<&str>| t.and_then(rfc3339_nanos).filter(|&n| n >= PLAUSIBLE);
    plausible(modified).or_else(|| plausible(published))
}

/// An RFC 3339 time (`2024-05-01T12:00:00Z`, fractions and offsets allowed) as nanoseconds
/// since the Unix epoch.
pub(crate) fn rfc3339_nanos(s: &str) -> Option<i128> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut nanos: i128 = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let mut scale = 100_000_000i128;
        for c in frac[..digits].bytes().take(9) {
            nanos += i128::from(c - b'0') * scale;
            scale /= 10;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let oh: i64 = rest[1..3].parse().ok()?;
            let om: i64 = rest[4..6].parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    // Days from the civil date (proleptic Gregorian).
    let (yy, mm) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    Some(i128::from(secs) * 1_000_000_000 + nanos)
}

#[cfg(test)]
mod tests;
