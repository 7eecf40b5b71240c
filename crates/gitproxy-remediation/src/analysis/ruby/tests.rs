//! Tests of the Gemfile.lock and Gemfile parsers, on files written after Bundler's documented
//! lockfile layout (sections, four-space specs, six-space dependencies, platform suffixes).

use super::{parse_gem_line, parse_gemfile, parse_lock};
use crate::analysis::{analyze, Scope};
use crate::files::Snapshot;
use crate::Ecosystem;

pub(crate) const GEMFILE: &str = r#"source "https://rubygems.org"
git_source(:github) { |repo| "https://github.com/#{repo}.git" }

ruby "3.1.2"

gem "rails", "~> 6.1.0"
gem 'pg', '>= 0.18', '< 2.0'
gem "puma" # the web server

group :development, :test do
  if ENV["CI"]
    gem "simplecov"
  end
  gem "rspec-rails", "~> 5.0", require: false
end

gem "webmock", group: :test
"#;

pub(crate) const GEMFILE_LOCK: &str = "GIT
  remote: https://github.com/example/internal_gem.git
  revision: 0123456789abcdef0123456789abcdef01234567
  specs:
    internal_gem (0.1.0)

GEM
  remote: https://rubygems.org/
  specs:
    actionpack (6.1.4)
      rack (~> 2.0, >= 2.0.9)
      rack-test (>= 0.6.3)
    nokogiri (1.13.10-x86_64-linux)
      racc (~> 1.4)
    nokogiri (1.13.10)
      racc (~> 1.4)
    pg (1.4.5)
    puma (5.6.5)
      nio4r (~> 2.0)
    nio4r (2.5.8)
    racc (1.6.2)
    rack (2.2.4)
    rack-test (2.0.2)
      rack (>= 1.3)
    rails (6.1.4)
      actionpack (= 6.1.4)
    rspec-rails (5.1.2)
      rspec-core (~> 3.10)
    rspec-core (3.12.0)
    webmock (3.18.1)

PLATFORMS
  ruby
  x86_64-linux

DEPENDENCIES
  internal_gem!
  pg (>= 0.18, < 2.0)
  puma
  rails (~> 6.1.0)
  rspec-rails (~> 5.0)
  webmock

RUBY VERSION
   ruby 3.1.2p20

BUNDLED WITH
   2.3.26
";

#[test]
fn lockfile_specs_dependencies_and_direct_gems() {
    let lock = parse_lock("Gemfile.lock", GEMFILE_LOCK).expect("parses");
    let names: Vec<&str> = lock.specs.iter().map(|s| s.name.as_str()).collect();
    // GIT and PATH specs are not registry gems.
    assert!(!names.contains(&"internal_gem"));
    let nokogiri = &lock.specs[1];
    assert_eq!(
        (nokogiri.version.as_str(), nokogiri.platform.as_deref()),
        ("1.13.10", Some("x86_64-linux"))
    );
    assert_eq!(nokogiri.line, 13);
    let actionpack = &lock.specs[0];
    assert_eq!(
        actionpack.deps,
        [
            ("rack".to_string(), Some("~> 2.0, >= 2.0.9".to_string())),
            ("rack-test".to_string(), Some(">= 0.6.3".to_string())),
        ]
    );
    let direct: Vec<(&str, Option<&str>)> = lock
        .direct
        .iter()
        .map(|(n, r, _)| (n.as_str(), r.as_deref()))
        .collect();
    assert_eq!(direct[0], ("internal_gem", None));
    assert_eq!(direct[1], ("pg", Some(">= 0.18, < 2.0")));
    assert_eq!(direct[4], ("rspec-rails", Some("~> 5.0")));
}

#[test]
fn gemfile_lines_requirements_and_groups() {
    let gems = parse_gemfile(GEMFILE);
    let summary: Vec<(&str, Vec<&str>, bool, u32)> = gems
        .iter()
        .map(|(g, line)| {
            (
                g.name.as_str(),
                g.requirements.iter().map(String::as_str).collect(),
                g.dev,
                *line,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("rails", vec!["~> 6.1.0"], false, 6),
            ("pg", vec![">= 0.18", "< 2.0"], false, 7),
            ("puma", vec![], false, 8),
            ("simplecov", vec![], true, 12),
            ("rspec-rails", vec!["~> 5.0"], true, 14),
            ("webmock", vec![], true, 17),
        ]
    );
    let g = parse_gem_line("gem 'pg', '>= 0.18', '< 2.0'").expect("gem");
    assert_eq!(
        &"gem 'pg', '>= 0.18', '< 2.0'"[g.span.0..g.span.1],
        "'>= 0.18', '< 2.0'"
    );
    assert_eq!(g.quote, '\'');
    let g = parse_gem_line("gem(\"puma\")").expect("gem");
    assert_eq!(g.name, "puma");
    assert!(parse_gem_line("gemspec").is_none());
    assert!(parse_gem_line("gem name_variable").is_none());
    // Arguments of only spaces or brackets (fuzzing found the span ending before it started).
    for line in ["gem , '< 2.0'", "gem ( ), 'x'", "gem ( )"] {
        assert!(parse_gem_line(line).is_none(), "{line}");
    }
    for line in ["gem 'pg', ( ), '1.0'", "gem 'pg', ) , '1.0'"] {
        assert_eq!(parse_gem_line(line).expect(line).name, "pg");
    }
}

#[test]
fn analysis_reports_direct_transitive_dev_and_lines() {
    let snapshot = Snapshot::new()
        .with("app/Gemfile", GEMFILE)
        .with("app/Gemfile.lock", GEMFILE_LOCK);
    let a = analyze(&snapshot);
    assert!(a.problems.is_empty(), "{:?}", a.problems);
    assert!(a.unsupported.is_empty());
    let gems: Vec<_> = a.of(Ecosystem::RubyGems).collect();
    // nokogiri's two platform variants are one dependency.
    assert_eq!(gems.iter().filter(|d| d.name == "nokogiri").count(), 1);
    let rails = a.find("rails", "6.1.4").expect("rails");
    assert!(rails.direct);
    assert_eq!(rails.requirement.as_deref(), Some("~> 6.1.0"));
    assert_eq!(rails.location.to_string(), "app/Gemfile.lock:25");
    assert_eq!(
        rails
            .declared_in
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("app/Gemfile:6")
    );
    assert_eq!(rails.scope, Scope::Runtime);
    let rack = a.find("rack", "2.2.4").expect("rack");
    assert!(!rack.direct);
    assert_eq!(rack.parents, ["actionpack@6.1.4", "rack-test@2.0.2"]);
    assert_eq!(rack.constraints, ["~> 2.0, >= 2.0.9", ">= 1.3"]);
    assert_eq!(rack.declared_in, None);
    let rspec_core = a.find("rspec-core", "3.12.0").expect("rspec-core");
    assert_eq!(rspec_core.scope, Scope::Dev, "only a test gem needs it");
    assert_eq!(
        a.find("webmock", "3.18.1").expect("webmock").scope,
        Scope::Dev
    );
    assert_eq!(a.find("racc", "1.6.2").expect("racc").scope, Scope::Runtime);
}

#[test]
fn a_gemfile_alone_gives_direct_requirements_and_exact_pins() {
    let snapshot = Snapshot::new().with(
        "Gemfile",
        "source \"https://rubygems.org\"\ngem \"rack\", \"2.2.4\"\ngem \"rails\", \"~> 6.1.0\"\n",
    );
    let a = analyze(&snapshot);
    let rack = a
        .find("rack", "2.2.4")
        .expect("an exact pin is the version in use");
    assert_eq!(rack.location.to_string(), "Gemfile:2");
    let rails = a
        .dependencies
        .iter()
        .find(|d| d.name == "rails")
        .expect("rails");
    assert_eq!(rails.version, None);
    assert_eq!(rails.requirement.as_deref(), Some("~> 6.1.0"));
}

#[test]
fn malformed_lockfiles_are_problems_of_their_file() {
    for (bad, line) in [
        ("GEM\n  specs:\n    rack\n", 3),
        ("GEM\n  specs:\n      rack (>= 1)\n", 3),
        ("GEM\n  specs:\n    rack (2.2.4)\n        deeper (1)\n", 4),
        ("GEM\n  specs:\n    rack (2.2.4\n", 3),
    ] {
        let a = analyze(&Snapshot::new().with("Gemfile.lock", bad));
        assert_eq!(a.problems.len(), 1, "{bad}");
        match &a.problems[0] {
            crate::Error::Parse { file, line: l, .. } => {
                assert_eq!((file.as_str(), *l), ("Gemfile.lock", Some(line)), "{bad}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_lockfile_with_gems_from_several_sources_is_left_to_bundler() {
    let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.4)\n\nGEM\n  remote: https://gems.corp.example/\n  specs:\n    internal (1.0.0)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  internal\n  rack\n";
    let a = analyze(&Snapshot::new().with("Gemfile.lock", lock));
    let reason = a.relock_only.get("Gemfile.lock").expect("relock only");
    assert!(
        reason.contains("several sources (https://rubygems.org/, https://gems.corp.example/)"),
        "{reason}"
    );
    // Still analysed: both gems are found.
    assert_eq!(a.dependencies.len(), 2);
    let one = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.4)\n\nDEPENDENCIES\n  rack\n";
    assert!(analyze(&Snapshot::new().with("Gemfile.lock", one))
        .relock_only
        .is_empty());
}
