//! Unit tests of the generated Dockerfile: the committed one is current, and it copies exactly the
//! spec's files into the same layers.

use super::{check, render};
use crate::image::spec::{Spec, LIBRARIES, LOADER, OSV_DIR};

#[test]
fn the_committed_dockerfile_is_generated_from_the_image_spec() {
    check(&crate::project_root()).expect("run `cargo xtask image --write-dockerfile`");
}

#[test]
fn the_dockerfile_ships_the_same_files_user_and_entrypoint() {
    let spec = Spec::load(&crate::project_root()).expect("spec");
    let text = render(&spec);
    for lib in LIBRARIES.iter().chain([&LOADER]) {
        assert!(
            text.contains(&format!(" {lib} /layers/base{lib}")),
            "{lib} missing:\n{text}"
        );
    }
    for needle in [
        "FROM scratch\n",
        "COPY --from=builder /layers/base/ /\n",
        "COPY --from=builder /layers/gitproxy/ /\n",
        &format!("COPY --from=osv . {OSV_DIR}\n"),
        "USER 65532:65532\n",
        "EXPOSE 8080\n",
        "GITPROXY_OSV_DIR=/usr/share/gitproxy/osv",
        "--locked",
        "ENTRYPOINT [\"/usr/local/bin/gitproxy\"]\nCMD [\"run\"]\n",
        "org.opencontainers.image.revision=\"${REVISION}\"",
        "printf '%s\\n' 'root:x:0:0:root:/root:/sbin/nologin' 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' > /layers/base/etc/passwd",
        "install -d -m 1777 -o 0 -g 0 /layers/base/tmp",
        "install -D -m 0644 /etc/ssl/certs/ca-certificates.crt /layers/base/etc/ssl/certs/ca-certificates.crt",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
}
