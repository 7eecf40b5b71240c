//! Writes an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/...`) from layers and an image
//! config: gzip layers, content digests, the manifest and the index, all byte-for-byte reproducible.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use super::tar::Layer;

pub(crate) const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX_TYPE: &str = "application/vnd.oci.image.index.v1+json";
const CONFIG_TYPE: &str = "application/vnd.oci.image.config.v1+json";
const LAYER_TYPE: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// `sha256:<hex>` of `data`.
pub(crate) fn digest(data: &[u8]) -> String {
    let hash = Sha256::digest(data);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// gzip at the best compression; the header carries no name and mtime 0, so equal input gives equal output.
pub(crate) fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = vec![0u8; zlib_rs::compress_bound(data.len()) + 64];
    let config = zlib_rs::DeflateConfig {
        level: 9,
        // 15 + 16: a 32 KiB window with the gzip wrapper instead of zlib's.
        window_bits: 31,
        ..zlib_rs::DeflateConfig::default()
    };
    let (written, rc) = zlib_rs::compress_slice(&mut out, data, config);
    if rc != zlib_rs::ReturnCode::Ok {
        bail!("gzip of an image layer failed ({rc:?}); report this as a bug in xtask");
    }
    let len = written.len();
    out.truncate(len);
    Ok(out)
}

/// One named layer of the image and why it is separate.
#[derive(Debug)]
pub(crate) struct NamedLayer {
    pub(crate) name: &'static str,
    pub(crate) created_by: &'static str,
    pub(crate) layer: Layer,
}

/// What the build reports about one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LayerReport {
    pub(crate) name: &'static str,
    pub(crate) digest: String,
    pub(crate) compressed: u64,
    pub(crate) uncompressed: u64,
    pub(crate) files: usize,
}

/// The written image: its manifest digest and its layers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    pub(crate) manifest_digest: String,
    pub(crate) config_digest: String,
    pub(crate) layers: Vec<LayerReport>,
}

impl Written {
    /// The compressed size of the layers named other than `except`.
    pub(crate) fn compressed_without(&self, except: &str) -> u64 {
        self.layers
            .iter()
            .filter(|l| l.name != except)
            .map(|l| l.compressed)
            .sum()
    }
}

/// The image config's settings that are not derived from the layers.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// RFC 3339 creation time (from the source date).
    pub(crate) created: String,
    /// Seconds since the epoch for every file's mtime.
    pub(crate) mtime: u64,
    /// The `ref.name` of the manifest in `index.json` (the tag).
    pub(crate) tag: String,
    /// The `config` object of the image config (`User`, `Env`, `Entrypoint`, ...).
    pub(crate) config: Value,
}

/// Writes the layout into `dir` (which must be empty or missing) and returns the digests and sizes.
pub(crate) fn write_layout(
    dir: &Path,
    layers: &[NamedLayer],
    settings: &Settings,
) -> Result<Written> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)
        .with_context(|| format!("could not create {}", blobs.display()))?;
    let put = |data: &[u8]| -> Result<String> {
        let digest = digest(data);
        let hex = digest.trim_start_matches("sha256:");
        let path = blobs.join(hex);
        std::fs::write(&path, data)
            .with_context(|| format!("could not write {}", path.display()))?;
        Ok(digest)
    };

    let mut reports = Vec::new();
    let mut diff_ids = Vec::new();
    let mut history = Vec::new();
    let mut descriptors = Vec::new();
    for named in layers {
        let tar = named.layer.to_tar(settings.mtime)?;
        let gz = gzip(&tar)?;
        diff_ids.push(Value::String(digest(&tar)));
        let blob = put(&gz)?;
        descriptors.push(json!({ "mediaType": LAYER_TYPE, "digest": blob, "size": gz.len() }));
        history.push(json!({ "created": settings.created, "created_by": named.created_by }));
        reports.push(LayerReport {
            name: named.name,
            digest: blob,
            compressed: gz.len() as u64,
            uncompressed: tar.len() as u64,
            files: named
                .layer
                .paths()
                .iter()
                .filter(|p| !p.ends_with('/'))
                .count(),
        });
    }
    let config = json!({
        "created": settings.created,
        "architecture": "amd64",
        "os": "linux",
        "config": settings.config,
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
        "history": history,
    });
    let config_bytes = to_json(&config)?;
    let config_digest = put(&config_bytes)?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": { "mediaType": CONFIG_TYPE, "digest": config_digest, "size": config_bytes.len() },
        "layers": descriptors,
    });
    let manifest_bytes = to_json(&manifest)?;
    let manifest_digest = put(&manifest_bytes)?;
    let index = json!({
        "schemaVersion": 2,
        "mediaType": INDEX_TYPE,
        "manifests": [{
            "mediaType": MANIFEST_TYPE,
            "digest": manifest_digest,
            "size": manifest_bytes.len(),
            "platform": { "architecture": "amd64", "os": "linux" },
            "annotations": { "org.opencontainers.image.ref.name": settings.tag },
        }],
    });
    let write = |name: &str, data: &[u8]| -> Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, data).with_context(|| format!("could not write {}", path.display()))
    };
    write("index.json", &to_json(&index)?)?;
    write("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    Ok(Written {
        manifest_digest,
        config_digest,
        layers: reports,
    })
}

fn to_json(value: &Value) -> Result<Vec<u8>> {
    serde_json::to_vec(value).context("could not encode an image JSON document")
}

#[cfg(test)]
mod tests;
