//! Build scripts, `build.gradle` (Groovy) and `build.gradle.kts` (Kotlin): literal coordinates in
//! `dependencies { }` (string, `group:`/`name:`/`version:` map and `platform(...)` forms), their
//! `constraints { }`, `resolutionStrategy { force ... }`, and version variables declared in the
//! same file (`def`/`val`/`var`, `ext.x`, `ext { x = ... }`, `extra["x"]`) used as `$x`/`${x}`.
//! Anything else that declares a dependency is recorded as unresolved, never guessed at.

use std::collections::HashMap;

use super::blocks::{statements, Ctx};
use super::lexer::{lex, Kind, Token};
use super::notation::{looks_like_coordinate, split, written_version};
use crate::analysis::maven::Site;
use crate::files::LineIndex;
use crate::limits::MAX_NESTING;

/// One dependency declared with a module coordinate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Decl {
    /// `group:artifact`.
    pub(crate) name: String,
    /// The version text after variable substitution, when the declaration gives one.
    pub(crate) version: Option<String>,
    /// Where that text is written (the literal, or the variable it comes from).
    pub(crate) site: Option<Site>,
    /// Line of the declaration.
    pub(crate) line: u32,
    /// `implementation`, `testRuntimeOnly`, `classpath`, `force`...
    pub(crate) configuration: String,
    /// The `strictly` range of a rich version, when one bounds a `require` or `prefer` version
    /// that is the one read (`[1.7, 1.8[`): moving that version outside it breaks resolution.
    pub(crate) strictly: Option<String>,
}

/// A declaration the script makes that this reader cannot turn into a module and version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unresolved {
    /// The module, when at least that is readable.
    pub(crate) name: Option<String>,
    /// The version as written (a literal's contents or an expression's source text), when the
    /// module is readable and a version is given.
    pub(crate) version: Option<String>,
    /// The declaring configuration (empty when the declaration is outside `dependencies { }`).
    pub(crate) configuration: String,
    /// What was written, shortened for messages.
    pub(crate) what: String,
    /// Line of the declaration.
    pub(crate) line: u32,
}

/// A use of a version catalog entry (`libs.spring.core`) by a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CatalogRef {
    /// The catalog's accessor (`libs`).
    pub(crate) catalog: String,
    /// The alias with `-` and `_` written as `.`.
    pub(crate) alias: String,
    pub(crate) configuration: String,
    pub(crate) line: u32,
}

/// What one build script declares.
#[derive(Debug, Default)]
pub(crate) struct Script {
    pub(crate) decls: Vec<Decl>,
    pub(crate) unresolved: Vec<Unresolved>,
    pub(crate) catalog_refs: Vec<CatalogRef>,
    /// The top-level `dependencies { }` block: offsets just after `{` and of `}`.
    pub(crate) dependencies_block: Option<(usize, usize)>,
    /// Its `constraints { }` block, the same way.
    pub(crate) constraints_block: Option<(usize, usize)>,
    /// Nesting deeper than [`MAX_NESTING`] stopped the reading there.
    pub(crate) too_deep: bool,
}

/// Whether a configuration only serves tests or the build itself (the build script classpath,
/// annotation processors, code analysis).
pub(crate) fn is_dev_configuration(name: &str) -> bool {
    name.starts_with("test")
        || name.contains("Test")
        || name.ends_with("AnnotationProcessor")
        || matches!(
            name,
            "classpath" | "annotationProcessor" | "kapt" | "ksp" | "lintChecks" | "detektPlugins"
        )
}

/// A variable's literal: its value and the span of its contents.
#[derive(Clone, Debug)]
struct Var {
    value: String,
    content: (usize, usize),
}

/// Calls whose argument is not a module from a repository.
const NOT_MODULES: [&str; 7] = [
    "project",
    "files",
    "fileTree",
    "gradleApi",
    "localGroovy",
    "gradleTestKit",
    "dependencyFactory",
];

/// Wrappers whose argument is a module coordinate.
const WRAPPERS: [&str; 4] = ["platform", "enforcedPlatform", "testFixtures", "variantOf"];

/// Reads the script at `path` with contents `src`; `catalogs` are the accessor names of the
/// version catalogs in the repository (`libs` for `gradle/libs.versions.toml`).
pub(crate) fn read(path: &str, src: &str, catalogs: &[String]) -> Script {
    let toks: Vec<Token> = lex(src)
        .into_iter()
        .filter(|t| t.kind != Kind::Punct(b'\\'))
        .collect();
    let lines = LineIndex::new(src);
    let mut script = Script::default();
    let statements = statements(src, &toks, &mut script);
    let mut reader = Reader {
        path,
        src,
        toks: &toks,
        lines: &lines,
        vars: HashMap::new(),
        catalogs,
        consumed: vec![false; toks.len()],
        stop: statements.stop,
    };
    for &(i, ctx) in &statements.starts {
        reader.variable(i, ctx);
    }
    for (k, &(i, ctx)) in statements.starts.iter().enumerate() {
        reader.statement(i, statements.end(k), ctx, &mut script);
    }
    // A coordinate literal in a syntax not read above (a map of versions in `ext`, say) still
    // names a module and version: it is reported as written, never skipped.
    for (i, t) in toks.iter().enumerate() {
        if t.kind == Kind::Str && !reader.consumed[i] && looks_like_coordinate(t.text(src)) {
            match reader.coordinate(i) {
                Ok((name, version, site)) => script.decls.push(Decl {
                    name,
                    version,
                    site,
                    line: lines.line(t.span.0),
                    configuration: String::new(),
                    strictly: None,
                }),
                Err(name) => script.unresolved.push(Unresolved {
                    version: name.as_ref().and_then(|_| written_version(t.text(src))),
                    name,
                    configuration: String::new(),
                    what: short(t.text(src)),
                    line: lines.line(t.span.0),
                }),
            }
        }
    }
    script
}

fn short(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s
    }
}

struct Reader<'a> {
    path: &'a str,
    src: &'a str,
    toks: &'a [Token],
    lines: &'a LineIndex,
    /// `None`: declared more than once, or not with a plain literal.
    vars: HashMap<String, Option<Var>>,
    catalogs: &'a [String],
    consumed: Vec<bool>,
    /// Where reading stopped (see [`super::blocks::Statements::stop`]): no scan goes past it.
    stop: usize,
}

/// What a coordinate resolves to: name, version text and its site; or the name if readable.
type Resolved = Result<(String, Option<String>, Option<Site>), Option<String>>;

impl Reader<'_> {
    fn tok(&self, i: usize) -> Option<&Token> {
        self.toks.get(i)
    }

    /// The token at `i` when it is before `limit` (and [`Reader::stop`]).
    fn tok_before(&self, i: usize, limit: usize) -> Option<&Token> {
        self.tok(i).filter(|_| i < limit.min(self.stop))
    }

    fn text(&self, i: usize) -> &str {
        self.tok(i).map_or("", |t| t.text(self.src))
    }

    fn ident(&self, i: usize) -> Option<&str> {
        self.tok(i)
            .filter(|t| t.kind == Kind::Ident)
            .map(|t| t.text(self.src))
    }

    fn is(&self, i: usize, c: u8) -> bool {
        self.tok(i).is_some_and(|t| t.is(c))
    }

    fn is_plain_str(&self, i: usize) -> bool {
        self.tok(i).is_some_and(|t| {
            t.kind == Kind::Str && !t.escaped && !(t.interpolates && t.text(self.src).contains('$'))
        })
    }

    fn define(&mut self, name: &str, value_at: usize) {
        let var = if self.is_plain_str(value_at) {
            self.consumed[value_at] = true;
            let t = &self.toks[value_at];
            Some(Var {
                value: t.text(self.src).to_string(),
                content: t.content,
            })
        } else {
            None
        };
        match self.vars.get(name) {
            Some(Some(old)) if var.as_ref().is_some_and(|v| v.value == old.value) => {}
            Some(_) => {
                self.vars.insert(name.to_string(), None);
            }
            None => {
                self.vars.insert(name.to_string(), var);
            }
        }
    }

    /// First pass: version variables.
    fn variable(&mut self, i: usize, ctx: Ctx) {
        let Some(first) = self.ident(i).map(str::to_string) else {
            return;
        };
        match first.as_str() {
            "def" | "val" | "var" => {
                let Some(name) = self.ident(i + 1).map(str::to_string) else {
                    return;
                };
                // `val x: String = "..."`, `val x by extra("...")`.
                let mut j = i + 2;
                if self.is(j, b':') {
                    j += 2;
                }
                if self.is(j, b'=') {
                    self.define(&name, j + 1);
                } else if self.ident(j) == Some("by")
                    && self.ident(j + 1) == Some("extra")
                    && self.is(j + 2, b'(')
                    && self.is(j + 4, b')')
                {
                    self.define(&name, j + 3);
                }
            }
            _ => {
                // `project.ext.x`, `rootProject.ext.x`: skip the owner.
                let mut j = i;
                if matches!(first.as_str(), "project" | "rootProject") && self.is(j + 1, b'.') {
                    j += 2;
                }
                let head = self.ident(j).unwrap_or("").to_string();
                if head == "ext" && self.is(j + 1, b'.') && self.is(j + 3, b'=') {
                    if let Some(name) = self.ident(j + 2).map(str::to_string) {
                        self.define(&name, j + 4);
                    }
                } else if matches!(head.as_str(), "ext" | "extra")
                    && self.is(j + 1, b'[')
                    && self.is_plain_str(j + 2)
                    && self.is(j + 3, b']')
                    && self.is(j + 4, b'=')
                {
                    let name = self.text(j + 2).to_string();
                    self.define(&name, j + 5);
                } else if ctx == Ctx::Ext && self.is(j + 1, b'=') && j == i {
                    self.define(&head, j + 2);
                } else if ctx == Ctx::Ext
                    && head == "set"
                    && self.is(j + 1, b'(')
                    && self.is_plain_str(j + 2)
                    && self.is(j + 3, b',')
                    && self.is(j + 5, b')')
                {
                    let name = self.text(j + 2).to_string();
                    self.define(&name, j + 4);
                }
            }
        }
    }

    /// Second pass: dependency declarations; the statement starting at `i` ends before `end`.
    fn statement(&mut self, i: usize, end: usize, ctx: Ctx, script: &mut Script) {
        let Some(conf) = self.ident(i).map(str::to_string) else {
            return;
        };
        let declares = match ctx {
            Ctx::Dependencies | Ctx::Constraints => !self.is(i + 1, b'{'),
            Ctx::Resolution => conf == "force",
            _ => false,
        };
        if !declares {
            return;
        }
        let (args, end) = self.arguments(i + 1, end);
        if args.is_empty() {
            return;
        }
        let strings = args
            .iter()
            .all(|a| a.1 == a.0 + 1 && self.tok(a.0).is_some_and(|t| t.kind == Kind::Str));
        // `force 'a:b:1', 'c:d:2'` and Groovy's `implementation 'a:b:1', 'c:d:2'`: every
        // argument is a coordinate.
        if conf == "force" || (strings && args.len() >= 2 && self.text(args[0].0).contains(':')) {
            for arg in args {
                self.argument(arg, &conf, 0, script);
            }
            return;
        }
        // Named arguments (both DSLs) or Kotlin's positional `implementation("g", "a", "v")`.
        let named = args[0].1 > args[0].0 + 1
            && self.tok(args[0].0).is_some_and(|t| t.kind == Kind::Ident)
            && (self.is(args[0].0 + 1, b':') || self.is(args[0].0 + 1, b'='));
        let before = script.decls.len();
        if named || (strings && args.len() >= 2) {
            self.map_form(&args, &conf, named, script);
        } else {
            self.argument(args[0], &conf, 0, script);
        }
        // `implementation("g:a") { version { strictly("1.0") } }`: a rich version.
        let open = if self.is(end, b')') { end + 1 } else { end };
        if script.decls.len() == before + 1 && self.is(open, b'{') {
            if let Some(d) = script.decls.last_mut().filter(|d| d.version.is_none()) {
                if let Some((version, content, strictly)) = self.closure_version(open) {
                    d.version = Some(version);
                    d.site = Some(self.site(content));
                    d.strictly = strictly;
                }
            }
        }
    }

    /// The version of a `version { strictly/require/prefer ... }` block in the closure opened
    /// at `open`: the first exact one of them in that order, else the first given; with the
    /// `strictly` range that bounds it when that is another, inexact one.
    fn closure_version(&mut self, open: usize) -> Option<(String, (usize, usize), Option<String>)> {
        let mut depth = 0usize;
        let mut j = open;
        let mut found: Vec<(usize, usize)> = Vec::new();
        let mut in_version = None;
        while let Some(t) = self.tok_before(j, self.stop) {
            match t.kind {
                Kind::Punct(b'{') => {
                    if depth == 1 && self.ident(j - 1) == Some("version") {
                        in_version = Some(depth + 1);
                    }
                    depth += 1;
                }
                Kind::Punct(b'}') => {
                    if in_version == Some(depth) {
                        in_version = None;
                    }
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                Kind::Ident if in_version.is_some() => {
                    let rank = ["strictly", "require", "prefer"]
                        .iter()
                        .position(|k| *k == t.text(self.src));
                    let at = if self.is(j + 1, b'(') { j + 2 } else { j + 1 };
                    if let Some(rank) = rank.filter(|_| self.is_plain_str(at)) {
                        found.push((rank, at));
                    }
                }
                _ => {}
            }
            j += 1;
        }
        found.sort_unstable();
        let exact = found
            .iter()
            .find(|(_, at)| super::is_exact(self.text(*at)))
            .or(found.first())?;
        let at = exact.1;
        let strictly = found
            .iter()
            .find(|&&(rank, s)| rank == 0 && s != at)
            .map(|&(_, s)| self.text(s).to_string())
            .filter(|s| !super::is_exact(s));
        self.consumed[at] = true;
        let t = &self.toks[at];
        Some((t.text(self.src).to_string(), t.content, strictly))
    }

    /// The top-level arguments after a configuration name at `j`: `(a, b)` or `a, b` up to the
    /// line's end, as token ranges; and the index after them. The scan never reaches `limit`
    /// (the statement's end), so unbalanced brackets cost one statement's length, not the file's.
    fn arguments(&self, mut j: usize, limit: usize) -> (Vec<(usize, usize)>, usize) {
        let parens = self.is(j, b'(');
        if parens {
            j += 1;
        }
        let mut out = Vec::new();
        let mut start = j;
        let mut depth = 0usize;
        while let Some(t) = self.tok_before(j, limit) {
            match t.kind {
                Kind::Punct(b'(' | b'[' | b'{') if !(depth == 0 && !parens && t.is(b'{')) => {
                    depth += 1;
                }
                Kind::Punct(b')' | b']' | b'}') if depth > 0 => depth -= 1,
                Kind::Punct(b',') if depth == 0 => {
                    out.push((start, j));
                    start = j + 1;
                }
                Kind::Newline if depth == 0 && !parens => {
                    if self.is(j.wrapping_sub(1), b',') {
                        start = j + 1;
                    } else {
                        break;
                    }
                }
                Kind::Newline if start == j => start = j + 1,
                Kind::Punct(b')') if parens && depth == 0 => break,
                Kind::Punct(b';' | b'{' | b'}') if depth == 0 => break,
                _ => {}
            }
            j += 1;
        }
        if j > start {
            out.push((start, j));
        }
        let out = out
            .into_iter()
            .map(|(a, b)| self.trim(a, b))
            .filter(|(a, b)| b > a)
            .collect();
        (out, j)
    }

    fn trim(&self, mut a: usize, mut b: usize) -> (usize, usize) {
        while a < b && self.tok(a).is_some_and(|t| t.kind == Kind::Newline) {
            a += 1;
        }
        while b > a && self.tok(b - 1).is_some_and(|t| t.kind == Kind::Newline) {
            b -= 1;
        }
        (a, b)
    }

    /// `group: 'g', name: 'a', version: 'v'` (or `=`), or Kotlin's positional `("g", "a", "v")`.
    fn map_form(&mut self, args: &[(usize, usize)], conf: &str, named: bool, script: &mut Script) {
        let line = self.line_of(args[0].0);
        let mut fields: HashMap<String, usize> = HashMap::new();
        let mut written_version = None;
        for (n, &(a, b)) in args.iter().enumerate() {
            if named {
                let key = self.ident(a).unwrap_or("").to_string();
                if key == "version" && b > a + 2 {
                    written_version = Some(self.written(a + 2, b));
                }
                if b == a + 3 && (self.is(a + 1, b':') || self.is(a + 1, b'=')) {
                    fields.insert(key, a + 2);
                } else if !key.is_empty() {
                    fields.insert(key, usize::MAX);
                }
            } else {
                let key = ["group", "name", "version", "classifier"]
                    .get(n)
                    .unwrap_or(&"");
                if *key == "version" {
                    written_version = Some(self.written(a, b));
                }
                fields.insert((*key).to_string(), a);
            }
        }
        let what = self.src
            [self.toks[args[0].0].span.0..self.toks[args[args.len() - 1].1 - 1].span.1]
            .to_string();
        let value = |r: &mut Self, key: &str| -> Option<Result<(String, Option<Site>), ()>> {
            let &at = fields.get(key)?;
            Some(r.value(at))
        };
        let group = value(self, "group");
        let name = value(self, "name");
        let version = value(self, "version");
        let module = match (group, name) {
            (Some(Ok((g, _))), Some(Ok((a, _)))) if !g.is_empty() && !a.is_empty() => {
                Some(format!("{g}:{a}"))
            }
            _ => None,
        };
        match (module, version) {
            (Some(name), None) => script.decls.push(Decl {
                name,
                version: None,
                site: None,
                line,
                configuration: conf.to_string(),
                strictly: None,
            }),
            (Some(name), Some(Ok((v, site)))) => script.decls.push(Decl {
                name,
                version: Some(v),
                site,
                line,
                configuration: conf.to_string(),
                strictly: None,
            }),
            (name, _) => script.unresolved.push(Unresolved {
                version: name.as_ref().and(written_version),
                name,
                configuration: conf.to_string(),
                what: short(&what),
                line,
            }),
        }
    }

    /// A map value: a plain literal, or a variable of this file.
    fn value(&mut self, at: usize) -> Result<(String, Option<Site>), ()> {
        if at == usize::MAX {
            return Err(());
        }
        if self.is_plain_str(at) {
            self.consumed[at] = true;
            let t = &self.toks[at];
            return Ok((t.text(self.src).to_string(), Some(self.site(t.content))));
        }
        if let Some(name) = self.ident(at) {
            if let Some(Some(var)) = self.vars.get(name) {
                return Ok((var.value.clone(), Some(self.site(var.content))));
            }
            return Err(());
        }
        // `"$x"` or `"${x}"` alone.
        if let Some(t) = self
            .tok(at)
            .filter(|t| t.kind == Kind::Str && t.interpolates)
        {
            let raw = t.text(self.src);
            let name = raw
                .strip_prefix("${")
                .and_then(|r| r.strip_suffix('}'))
                .or_else(|| raw.strip_prefix('$'));
            if let Some(Some(var)) = name.and_then(|n| self.vars.get(n)) {
                self.consumed[at] = true;
                return Ok((var.value.clone(), Some(self.site(var.content))));
            }
        }
        Err(())
    }

    /// The tokens `a..b` as written: a string's contents, else their source text.
    fn written(&self, a: usize, b: usize) -> String {
        if b == a + 1 && self.tok(a).is_some_and(|t| t.kind == Kind::Str) {
            return self.text(a).to_string();
        }
        match (self.tok(a), self.tok(b.saturating_sub(1))) {
            (Some(first), Some(last)) => self
                .src
                .get(first.span.0..last.span.1)
                .unwrap_or("")
                .to_string(),
            _ => String::new(),
        }
    }

    fn site(&self, span: (usize, usize)) -> Site {
        Site {
            file: self.path.to_string(),
            span,
            line: self.lines.line(span.0),
        }
    }

    fn line_of(&self, i: usize) -> u32 {
        self.lines.line(self.tok(i).map_or(0, |t| t.span.0))
    }

    /// One positional argument: a coordinate string, a wrapper around one, a catalog entry, a
    /// project or files (not modules), or something unreadable. `depth` counts the wrappers
    /// around it; past [`MAX_NESTING`] the argument is unreadable (the statement split already
    /// stops a script there, this keeps the recursion bounded on its own).
    fn argument(&mut self, (a, b): (usize, usize), conf: &str, depth: usize, script: &mut Script) {
        let line = self.line_of(a);
        let what = short(&self.src[self.toks[a].span.0..self.toks[b - 1].span.1]);
        let first = self.ident(a).unwrap_or("").to_string();
        if b == a + 1 && self.tok(a).is_some_and(|t| t.kind == Kind::Str) {
            match self.coordinate(a) {
                Ok((name, version, site)) => script.decls.push(Decl {
                    name,
                    version,
                    site,
                    line,
                    configuration: conf.to_string(),
                    strictly: None,
                }),
                Err(name) => script.unresolved.push(Unresolved {
                    version: name.as_ref().and_then(|_| written_version(self.text(a))),
                    name,
                    configuration: conf.to_string(),
                    what: short(self.text(a)),
                    line,
                }),
            }
            return;
        }
        if WRAPPERS.contains(&first.as_str())
            && self.is(a + 1, b'(')
            && self.is(b - 1, b')')
            && depth < MAX_NESTING
        {
            let (inner, _) = self.arguments(a + 1, b);
            if let Some(&arg) = inner.first() {
                self.argument(arg, conf, depth + 1, script);
            }
            return;
        }
        if NOT_MODULES.contains(&first.as_str()) && self.is(a + 1, b'(') {
            return;
        }
        // Type-safe project accessors (`projects.core.data`) name projects of the build.
        if first == "projects" && self.is(a + 1, b'.') {
            return;
        }
        if self.catalogs.contains(&first) && self.is(a + 1, b'.') {
            let mut parts = Vec::new();
            let mut j = a + 1;
            while self.is(j, b'.') {
                match self.ident(j + 1) {
                    Some("get") if self.is(j + 2, b'(') => break,
                    Some(p) => parts.push(p.to_string()),
                    None => break,
                }
                j += 2;
            }
            if !matches!(
                parts.first().map(String::as_str),
                Some("bundles" | "plugins" | "versions")
            ) {
                script.catalog_refs.push(CatalogRef {
                    catalog: first,
                    alias: parts.join("."),
                    configuration: conf.to_string(),
                    line,
                });
            }
            return;
        }
        if b == a + 1 && !first.is_empty() {
            if let Some(Some(var)) = self.vars.get(&first) {
                if looks_like_coordinate(&var.value) || var.value.matches(':').count() >= 1 {
                    let var = var.clone();
                    match split(&var.value) {
                        Some((name, version, offset)) => {
                            let site = offset
                                .map(|(s, e)| self.site((var.content.0 + s, var.content.0 + e)));
                            script.decls.push(Decl {
                                name,
                                version,
                                site,
                                line,
                                configuration: conf.to_string(),
                                strictly: None,
                            });
                        }
                        None => script.unresolved.push(Unresolved {
                            name: None,
                            version: None,
                            configuration: conf.to_string(),
                            what,
                            line,
                        }),
                    }
                    return;
                }
            }
        }
        if first == "kotlin" && self.is(a + 1, b'(') && self.is_plain_str(a + 2) {
            let module = format!("org.jetbrains.kotlin:kotlin-{}", self.text(a + 2));
            if self.is(a + 3, b',') && self.is_plain_str(a + 4) {
                self.consumed[a + 4] = true;
                let t = &self.toks[a + 4];
                script.decls.push(Decl {
                    name: module,
                    version: Some(t.text(self.src).to_string()),
                    site: Some(self.site(t.content)),
                    line,
                    configuration: conf.to_string(),
                    strictly: None,
                });
            } else {
                script.decls.push(Decl {
                    name: module,
                    version: None,
                    site: None,
                    line,
                    configuration: conf.to_string(),
                    strictly: None,
                });
            }
            return;
        }
        script.unresolved.push(Unresolved {
            name: None,
            version: None,
            configuration: conf.to_string(),
            what,
            line,
        });
    }

    /// The coordinate written by the string at `i`, variables substituted.
    fn coordinate(&mut self, i: usize) -> Resolved {
        self.consumed[i] = true;
        let t = self.toks[i].clone();
        let raw = t.text(self.src);
        if t.escaped {
            return Err(None);
        }
        if !(t.interpolates && raw.contains('$')) {
            let (name, version, offset) = split(raw).ok_or(None)?;
            let site = offset.map(|(s, e)| self.site((t.content.0 + s, t.content.0 + e)));
            return Ok((name, version, site));
        }
        // Substitute `$x` and `${x}`, remembering where each piece of the value came from.
        let mut value = String::new();
        let mut pieces: Vec<(usize, usize, Piece)> = Vec::new();
        let bytes = raw.as_bytes();
        let mut k = 0;
        let mut unknown = false;
        while k < raw.len() {
            if bytes[k] == b'$' {
                let (name, len) = if bytes.get(k + 1) == Some(&b'{') {
                    let Some(close) = raw[k..].find('}') else {
                        unknown = true;
                        break;
                    };
                    (&raw[k + 2..k + close], close + 1)
                } else {
                    let n = raw[k + 1..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .map_or(raw.len() - k - 1, |n| n);
                    (&raw[k + 1..k + 1 + n], n + 1)
                };
                match self.vars.get(name) {
                    Some(Some(var)) => {
                        let start = value.len();
                        value.push_str(&var.value);
                        pieces.push((start, value.len(), Piece::Var(var.content)));
                    }
                    _ => unknown = true,
                }
                k += len;
            } else {
                let next = raw[k..].find('$').map_or(raw.len(), |n| k + n);
                let start = value.len();
                value.push_str(&raw[k..next]);
                pieces.push((start, value.len(), Piece::Lit(t.content.0 + k)));
                k = next;
            }
        }
        if unknown {
            let parts: Vec<&str> = raw.split(':').collect();
            let name = (parts.len() >= 2 && !parts[0].contains('$') && !parts[1].contains('$'))
                .then(|| format!("{}:{}", parts[0], parts[1]));
            return Err(name);
        }
        let (name, version, offset) = split(&value).ok_or(None)?;
        let site = offset.and_then(|(s, e)| {
            pieces.iter().find_map(|&(ps, pe, piece)| match piece {
                Piece::Lit(at) if ps <= s && e <= pe => Some(self.site((at + s - ps, at + e - ps))),
                Piece::Var(content) if ps == s && pe == e => Some(self.site(content)),
                _ => None,
            })
        });
        Ok((name, version, site))
    }
}

#[derive(Clone, Copy)]
enum Piece {
    /// Literal text starting at this byte offset of the file.
    Lit(usize),
    /// A variable's literal contents.
    Var((usize, usize)),
}
