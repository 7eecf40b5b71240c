//! Tests of the `pdm.lock` readers: the layout reader gives what the TOML parse gives on every
//! lock PDM wrote, and hands anything else to it.

use super::{fast, read_toml};

const LOCKS: [&str; 8] = [
    include_str!("../../../../tests/fixtures/pypi/pdm-sync/pdm.lock"),
    include_str!("../../../../tests/fixtures/pypi/pdm-sync/pdm.lock.urllib3-1.26.18"),
    include_str!("../../../../tests/fixtures/pypi/pdm-sync/pdm.lock.certifi-2023.7.22"),
    include_str!("../../../../tests/fixtures/pypi/pdm-sync/pdm.lock.requests-2.31.0"),
    include_str!("../../../../tests/fixtures/pypi/pdm-extras/pdm.lock"),
    include_str!("../../../../tests/fixtures/pypi/pdm-extras/pdm.lock.requests-2.31.0"),
    include_str!("../../../../tests/fixtures/pypi/pdm-extras/pdm.lock.urllib3-1.26.18"),
    include_str!("../../../../fuzz/corpus/pdm_fix/a-b-extras-graph"),
];

#[test]
fn the_layout_reader_gives_what_the_toml_parse_gives_on_locks_pdm_wrote() {
    for lock in LOCKS {
        let fast = fast::read(lock).expect("a lock PDM wrote is read by its layout");
        assert_eq!(fast, read_toml("pdm.lock", lock).unwrap());
        assert_eq!(fast.0, "4.5.1");
    }
    // The extras entry, markers and groups as the lock writes them.
    let (_, pkgs) = fast::read(LOCKS[4]).unwrap();
    let requests: Vec<_> = pkgs.iter().filter(|p| p.name == "requests").collect();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].extras, ["socks"]);
    assert_eq!(
        requests[1].requires,
        ["PySocks!=1.5.7,>=1.5.6", "requests==2.30.0"]
    );
    let colorama = pkgs.iter().find(|p| p.name == "colorama").unwrap();
    assert_eq!(colorama.groups, ["default", "test"]);
    assert_eq!(
        colorama.marker.as_deref(),
        Some("platform_system == \"Windows\" or sys_platform == \"win32\"")
    );
}

#[test]
fn anything_else_goes_to_the_toml_parse() {
    let lock = LOCKS[0];
    for odd in [
        // A comment after a value, a literal string, a multi-line string, another table, a key
        // PDM does not write, a key given twice, an inline array of dependencies, tabs.
        lock.replace("version = \"2.10\"", "version = \"2.10\" # pinned"),
        lock.replace("version = \"2.10\"", "version = '2.10'"),
        lock.replace(
            "summary = \"Python HTTP for Humans.\"",
            "summary = \"\"\"Python\nHTTP\"\"\"",
        ),
        format!("{lock}\n[tool]\nx = \"y\"\n"),
        lock.replace(
            "version = \"2.10\"",
            "version = \"2.10\"\nlicense = \"BSD\"",
        ),
        lock.replace(
            "version = \"2.10\"",
            "version = \"2.10\"\nversion = \"2.11\"",
        ),
        lock.replace(
            "dependencies = [\n    \"certifi>=2017.4.17\",",
            "dependencies = [\"certifi>=2017.4.17\",\n",
        ),
        lock.replace("    \"idna<3,>=2.5\",", "\t\"idna<3,>=2.5\","),
        lock.replace(
            "lock_version = \"4.5.1\"",
            "lock_version = \"4.5.1\"\nlock_version = \"4.5.2\"",
        ),
        // Found by the differential fuzz target: a lone carriage return, which TOML refuses;
        // a control character in a comment; a space TOML does not count as one.
        "\r".to_string(),
        lock.replace("# It is not", "# It is\u{1} not"),
        lock.replace("version = \"2.10\"", "version = \"2.10\"\u{3000}"),
        // A `targets` key beside the `[[metadata.targets]]` array.
        lock.replace(
            "lock_version = \"4.5.1\"",
            "lock_version = \"4.5.1\"\ntargets = \"x\"",
        ),
        // Found by the same target: a key given twice in a file's inline table.
        lock.replace(
            "{file = \"idna-2.10.tar.gz\", hash",
            "{file = \"idna-2.10.tar.gz\", hash = \"sha256:00\", hash",
        ),
    ] {
        assert!(odd != *lock);
        assert!(fast::read(&odd).is_none(), "{odd}");
    }
}
