//! A reader for zip archives such as osv.dev's `all.zip`: the central directory, member data,
//! and inflating stored or deflated members.

use crate::Error;

/// One member of a zip archive, still compressed.
#[derive(Debug)]
pub(crate) struct ZipMember<'a> {
    pub(crate) name: String,
    pub(crate) method: u16,
    pub(crate) size: usize,
    /// Offset of the compressed data in the archive.
    pub(crate) start: usize,
    pub(crate) data: &'a [u8],
}

impl ZipMember<'_> {
    /// The uncompressed bytes (stored or deflate members).
    pub(crate) fn contents(&self, label: &str) -> Result<Vec<u8>, Error> {
        inflate(label, &self.name, self.method, self.data, self.size)
    }
}

/// Inflates one member's data (stored or raw deflate) and checks its size.
pub(crate) fn inflate(
    label: &str,
    name: &str,
    method: u16,
    data: &[u8],
    size: usize,
) -> Result<Vec<u8>, Error> {
    // Deflate expands at most about 1032:1: a larger announced size is a corrupt or hostile
    // archive and must not size a buffer.
    if size > data.len().saturating_mul(1032).saturating_add(64) {
        return Err(Error::Zip {
            path: label.to_string(),
            reason: format!(
                "{name}: announces {size} bytes from {} compressed bytes; the archive is corrupt, download it again",
                data.len()
            ),
        });
    }
    let mut out = vec![0u8; size];
    Inflater::new().inflate_into(label, name, method, data, &mut out)?;
    Ok(out)
}

/// A raw deflate decoder for many members in a row: it allocates its state once.
pub(crate) struct Inflater(zlib_rs::Inflate);

impl Inflater {
    pub(crate) fn new() -> Inflater {
        // Raw deflate (no header, 15 window bits): zip members carry no zlib header.
        Inflater(zlib_rs::Inflate::new(false, 15))
    }

    /// Inflates one member's data (stored or raw deflate) into `out`, which must be exactly
    /// the member's uncompressed size.
    pub(crate) fn inflate_into(
        &mut self,
        label: &str,
        name: &str,
        method: u16,
        data: &[u8],
        out: &mut [u8],
    ) -> Result<(), Error> {
        let err = |reason: String| Error::Zip {
            path: label.to_string(),
            reason: format!("{name}: {reason}"),
        };
        let size = out.len();
        match method {
            0 if data.len() == size => out.copy_from_slice(data),
            0 => return Err(err(format!("expected {size} bytes, stored {}", data.len()))),
            8 => {
                self.0.reset(false);
                let status = self
                    .0
                    .decompress(data, out, zlib_rs::InflateFlush::Finish)
                    .map_err(|e| err(format!("corrupt deflate data ({})", e.as_str())))?;
                let written = self.0.total_out();
                if status != zlib_rs::Status::StreamEnd {
                    let reason = if written == size as u64 {
                        format!("inflates to more than the expected {size} bytes")
                    } else {
                        format!("truncated deflate data ({written} of {size} bytes)")
                    };
                    return Err(err(reason));
                }
                if written != size as u64 {
                    return Err(err(format!("expected {size} bytes, inflated {written}")));
                }
            }
            m => {
                return Err(err(format!(
                    "unsupported compression method {m}; only stored and deflate are read"
                )))
            }
        }
        Ok(())
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The bytes of an archive's central directory (names, sizes and CRC-32 of every member):
/// a cheap fingerprint of the archive's contents.
pub(crate) fn central_directory<'a>(bytes: &'a [u8], label: &str) -> Result<&'a [u8], Error> {
    let bad = || Error::Zip {
        path: label.to_string(),
        reason: "no readable central directory; download the archive again".into(),
    };
    let floor = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (floor..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&i| u32_at(bytes, i) == Some(0x0605_4b50))
        .ok_or_else(bad)?;
    let size = u32_at(bytes, eocd + 12).ok_or_else(bad)? as usize;
    let offset = u32_at(bytes, eocd + 16).ok_or_else(bad)? as usize;
    bytes.get(offset..offset + size).ok_or_else(bad)
}

/// Lists the members of a zip archive by reading its central directory.
pub(crate) fn zip_members<'a>(bytes: &'a [u8], label: &str) -> Result<Vec<ZipMember<'a>>, Error> {
    let err = |reason: &str| Error::Zip {
        path: label.to_string(),
        reason: reason.to_string(),
    };
    let bad = || err("truncated or malformed zip structure");
    // The end-of-central-directory record sits in the last 64 KiB + 22 bytes.
    let floor = bytes.len().saturating_sub(22 + 65_535);
    let eocd = (floor..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&i| u32_at(bytes, i) == Some(0x0605_4b50))
        .ok_or_else(|| err("no end of central directory record; not a zip archive"))?;
    let count = usize::from(u16_at(bytes, eocd + 10).ok_or_else(bad)?);
    let cd_offset = u32_at(bytes, eocd + 16).ok_or_else(bad)?;
    if count == 0xFFFF || cd_offset == 0xFFFF_FFFF {
        return Err(err(
            "zip64 archives are not supported; re-create the archive without zip64",
        ));
    }
    let mut at = usize::try_from(cd_offset).map_err(|_| bad())?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        if u32_at(bytes, at) != Some(0x0201_4b50) {
            return Err(bad());
        }
        let flags = u16_at(bytes, at + 8).ok_or_else(bad)?;
        let method = u16_at(bytes, at + 10).ok_or_else(bad)?;
        let csize = u32_at(bytes, at + 20).ok_or_else(bad)? as usize;
        let size = u32_at(bytes, at + 24).ok_or_else(bad)? as usize;
        let name_len = usize::from(u16_at(bytes, at + 28).ok_or_else(bad)?);
        let extra_len = usize::from(u16_at(bytes, at + 30).ok_or_else(bad)?);
        let comment_len = usize::from(u16_at(bytes, at + 32).ok_or_else(bad)?);
        let local = u32_at(bytes, at + 42).ok_or_else(bad)? as usize;
        let name = String::from_utf8_lossy(bytes.get(at + 46..at + 46 + name_len).ok_or_else(bad)?)
            .into_owned();
        at += 46 + name_len + extra_len + comment_len;
        if flags & 1 != 0 {
            return Err(err("encrypted members are not supported"));
        }
        if name.ends_with('/') {
            continue;
        }
        if u32_at(bytes, local) != Some(0x0403_4b50) {
            return Err(bad());
        }
        let lname = usize::from(u16_at(bytes, local + 26).ok_or_else(bad)?);
        let lextra = usize::from(u16_at(bytes, local + 28).ok_or_else(bad)?);
        let start = local + 30 + lname + lextra;
        let data = bytes.get(start..start + csize).ok_or_else(bad)?;
        out.push(ZipMember {
            name,
            method,
            size,
            start,
            data,
        });
    }
    Ok(out)
}

/// A zip archive of `members` (name, bytes), stored uncompressed with their CRC-32: what the
/// hub sends as a full sync when an OSV folder holds records but no `all.zip`.
pub(crate) fn stored_zip(members: &[(String, Vec<u8>)]) -> Result<Vec<u8>, Error> {
    let mut zip = StoredZip::default();
    for (name, data) in members {
        zip.add(name, data)?;
    }
    zip.finish()
}

/// A stored (uncompressed) zip archive written one member at a time, so its members need not be
/// held anywhere else while it is built.
#[derive(Default)]
pub(crate) struct StoredZip {
    out: Vec<u8>,
    central: Vec<u8>,
    count: usize,
}

fn too_large() -> Error {
    Error::Zip {
        path: "all.zip".into(),
        reason: "over 4 GiB or 65,535 members; zip64 is not supported".into(),
    }
}

impl StoredZip {
    /// Appends member `name` holding `data`.
    pub(crate) fn add(&mut self, name: &str, data: &[u8]) -> Result<(), Error> {
        if self.count >= usize::from(u16::MAX) {
            return Err(too_large());
        }
        let (out, central) = (&mut self.out, &mut self.central);
        let offset = u32::try_from(out.len()).map_err(|_| too_large())?;
        let size = u32::try_from(data.len()).map_err(|_| too_large())?;
        let name_len = u16::try_from(name.len()).map_err(|_| too_large())?;
        let crc = crc32(data);
        // Version, flags, method (stored), time and date, CRC, sizes, name and extra lengths.
        let mut fields = Vec::with_capacity(26);
        fields.extend(20u16.to_le_bytes());
        fields.extend(0u16.to_le_bytes());
        fields.extend(0u16.to_le_bytes());
        fields.extend([0u8; 4]);
        fields.extend(crc.to_le_bytes());
        fields.extend(size.to_le_bytes());
        fields.extend(size.to_le_bytes());
        fields.extend(name_len.to_le_bytes());
        fields.extend(0u16.to_le_bytes());
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(&fields);
        out.extend(name.as_bytes());
        out.extend(data);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes());
        central.extend(&fields);
        // Comment length, disk number, internal and external attributes, local header offset.
        central.extend([0u8; 10]);
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
        self.count += 1;
        Ok(())
    }

    /// The archive: members, central directory and its end record.
    pub(crate) fn finish(self) -> Result<Vec<u8>, Error> {
        let StoredZip {
            mut out,
            central,
            count,
        } = self;
        let count = u16::try_from(count).map_err(|_| too_large())?;
        let cd_offset = u32::try_from(out.len()).map_err(|_| too_large())?;
        let cd_size = u32::try_from(central.len()).map_err(|_| too_large())?;
        out.extend(central);
        out.extend(0x0605_4b50u32.to_le_bytes());
        out.extend([0u8; 4]);
        out.extend(count.to_le_bytes());
        out.extend(count.to_le_bytes());
        out.extend(cd_size.to_le_bytes());
        out.extend(cd_offset.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        Ok(out)
    }
}

/// The CRC-32 (IEEE) of `data`.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[cfg(test)]
pub(crate) mod tests;
