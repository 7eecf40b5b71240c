//! Tests for the zip reader on archives built here (stored and deflated members).

use super::*;

/// Builds a zip archive with one stored and one deflated member.
pub(crate) fn build_zip(members: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, deflate) in members {
        let (method, payload) = if *deflate {
            let mut buf = vec![0u8; zlib_rs::compress_bound(data.len())];
            let config = zlib_rs::DeflateConfig {
                window_bits: -15,
                ..zlib_rs::DeflateConfig::default()
            };
            let (out, rc) = zlib_rs::compress_slice(&mut buf, data, config);
            assert_eq!(rc, zlib_rs::ReturnCode::Ok);
            (8u16, out.to_vec())
        } else {
            (0u16, data.to_vec())
        };
        let offset = out.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend(sig.to_le_bytes());
            if central {
                h.extend(20u16.to_le_bytes());
            }
            h.extend(20u16.to_le_bytes());
            h.extend(0u16.to_le_bytes());
            h.extend(method.to_le_bytes());
            h.extend([0u8; 4]);
            h.extend([0u8; 4]);
            h.extend((payload.len() as u32).to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes());
            if central {
                // Comment length, disk number, internal and external attributes.
                h.extend([0u8; 10]);
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend(&payload);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

#[test]
fn zip_reader_reads_stored_and_deflated_members() {
    let body = br#"{"id":"X-1","affected":[]}"#.repeat(20);
    let zip = build_zip(&[
        ("a.json", b"{\"id\":\"A\"}", false),
        ("dir/b.json", &body, true),
    ]);
    let members = zip_members(&zip, "t.zip").unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[0].contents("t.zip").unwrap(), b"{\"id\":\"A\"}");
    assert_eq!(members[1].name, "dir/b.json");
    assert_eq!(members[1].contents("t.zip").unwrap(), body);
}

/// Raw deflate of `data`.
fn deflate(data: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; zlib_rs::compress_bound(data.len())];
    let config = zlib_rs::DeflateConfig {
        window_bits: -15,
        ..zlib_rs::DeflateConfig::default()
    };
    let (out, rc) = zlib_rs::compress_slice(&mut buf, data, config);
    assert_eq!(rc, zlib_rs::ReturnCode::Ok);
    out.to_vec()
}

#[test]
fn one_inflater_reads_many_members_and_names_bad_ones() {
    let a = br#"{"id":"A","details":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#;
    let b = br#"{"id":"B","affected":[]}"#.repeat(50);
    let (da, db) = (deflate(a), deflate(&b));
    let mut inflater = Inflater::new();
    let inflate = |inflater: &mut Inflater, method, data: &[u8], size| {
        let mut out = vec![0u8; size];
        inflater
            .inflate_into("t.zip", "m.json", method, data, &mut out)
            .map(|()| out)
            .map_err(|e| e.to_string())
    };
    // The state is reset between members, whatever the previous one did.
    assert_eq!(inflate(&mut inflater, 8, &da, a.len()).unwrap(), a);
    assert_eq!(inflate(&mut inflater, 8, &db, b.len()).unwrap(), b);
    let short = inflate(&mut inflater, 8, &db[..db.len() / 2], b.len()).unwrap_err();
    assert!(
        short.starts_with("invalid zip archive t.zip: m.json: truncated deflate data"),
        "{short}"
    );
    assert_eq!(inflate(&mut inflater, 8, &da, a.len()).unwrap(), a);
    let more = inflate(&mut inflater, 8, &db, b.len() - 1).unwrap_err();
    assert!(
        more.contains(&format!(
            "m.json: inflates to more than the expected {} bytes",
            b.len() - 1
        )),
        "{more}"
    );
    let less = inflate(&mut inflater, 8, &da, a.len() + 1).unwrap_err();
    let want = format!("expected {} bytes, inflated {}", a.len() + 1, a.len());
    assert!(less.contains(&want), "{less}");
    let garbage = inflate(&mut inflater, 8, b"\xff\xff\xff\xff", 10).unwrap_err();
    assert!(garbage.contains("corrupt deflate data"), "{garbage}");
    assert_eq!(inflate(&mut inflater, 0, a, a.len()).unwrap(), a);
    let stored = inflate(&mut inflater, 0, a, a.len() + 1).unwrap_err();
    let want = format!("expected {} bytes, stored {}", a.len() + 1, a.len());
    assert!(stored.contains(&want), "{stored}");
    let method = inflate(&mut inflater, 12, &da, a.len()).unwrap_err();
    assert!(
        method.contains("unsupported compression method 12"),
        "{method}"
    );
}

#[test]
fn zip_reader_rejects_garbage() {
    let err = zip_members(b"definitely not a zip archive at all", "x.zip").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("invalid zip archive x.zip: no end of central directory"),
        "{err}"
    );
}

#[test]
fn a_stored_zip_reads_back_and_refuses_a_member_past_what_zip_can_count() {
    let mut zip = StoredZip::default();
    zip.add("a.json", b"{}").unwrap();
    zip.add("b.json", b"[1]").unwrap();
    let bytes = zip.finish().unwrap();
    let members = zip_members(&bytes, "all.zip").unwrap();
    let read: Vec<(String, Vec<u8>)> = members
        .iter()
        .map(|m| (m.name.to_string(), m.contents("all.zip").unwrap()))
        .collect();
    assert_eq!(
        read,
        [
            ("a.json".into(), b"{}".to_vec()),
            ("b.json".into(), b"[1]".to_vec())
        ]
    );
    // The 65,536th member is refused as it is added, before the archive grows further.
    let mut zip = StoredZip::default();
    for i in 0..u16::MAX {
        zip.add(&i.to_string(), b"").unwrap();
    }
    let e = zip.add("one-more", b"").unwrap_err().to_string();
    assert!(e.contains("65,535 members"), "{e}");
}
