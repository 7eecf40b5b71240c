//! The block structure of a build script: where each statement starts and which kind of block
//! (`dependencies`, its `constraints`, `ext`, `resolutionStrategy`) it is in, the offsets of the
//! top-level `dependencies { }` and its `constraints { }`, and the nesting limit: `(`, `[` and
//! `{` together may nest [`MAX_NESTING`] deep, and reading stops where a script nests deeper.

use super::lexer::{Kind, Token};
use super::script::Script;
use crate::limits::MAX_NESTING;

/// The kind of block a statement is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ctx {
    Dependencies,
    Constraints,
    Ext,
    Resolution,
    Other,
}

struct Frame {
    ctx: Ctx,
    paren: usize,
    open: usize,
}

/// The statements of a script, and where reading them stopped.
pub(crate) struct Statements {
    /// The token index of each statement's first token, with the block it is in.
    pub(crate) starts: Vec<(usize, Ctx)>,
    /// The token index where reading stopped: the number of tokens, or the bracket that nests
    /// deeper than [`MAX_NESTING`]. No statement reaches past it.
    pub(crate) stop: usize,
}

impl Statements {
    /// The token index just past the statement `k`: the next statement's start, or [`Self::stop`].
    pub(crate) fn end(&self, k: usize) -> usize {
        self.starts
            .get(k + 1)
            .map_or(self.stop, |s| s.0)
            .min(self.stop)
    }
}

/// Splits the script into statements. Brackets of every kind count toward [`MAX_NESTING`], so no
/// statement read afterwards nests deeper than that; a deeper script sets [`Script::too_deep`]
/// and is read only up to that point.
pub(crate) fn statements(src: &str, toks: &[Token], script: &mut Script) -> Statements {
    let mut out = Vec::new();
    let mut frames: Vec<Frame> = Vec::new();
    let mut paren = 0usize;
    let mut at_start = true;
    let mut prev: Option<&Token> = None;
    for (i, t) in toks.iter().enumerate() {
        let level = frames.last().map_or(0, |f| f.paren);
        match t.kind {
            Kind::Newline => {
                let continues = prev.is_some_and(|p| {
                    matches!(p.kind, Kind::Punct(b',' | b'.' | b'=' | b'+' | b':'))
                });
                if paren == level && !continues {
                    at_start = true;
                }
                continue;
            }
            Kind::Punct(b';') if paren == level => {
                at_start = true;
                prev = Some(t);
                continue;
            }
            Kind::Punct(b'(' | b'[') => {
                if frames.len() + paren >= MAX_NESTING {
                    script.too_deep = true;
                    return Statements {
                        starts: out,
                        stop: i,
                    };
                }
                paren += 1;
            }
            Kind::Punct(b')' | b']') => paren = paren.saturating_sub(1),
            Kind::Punct(b'{') => {
                if frames.len() + paren >= MAX_NESTING {
                    script.too_deep = true;
                    return Statements {
                        starts: out,
                        stop: i,
                    };
                }
                let parent = frames.last().map_or(Ctx::Other, |f| f.ctx);
                let name = prev.filter(|p| p.kind == Kind::Ident).map(|p| p.text(src));
                let ctx = match name {
                    Some("dependencies") => Ctx::Dependencies,
                    Some("constraints") if parent == Ctx::Dependencies => Ctx::Constraints,
                    Some("ext") => Ctx::Ext,
                    Some("resolutionStrategy") => Ctx::Resolution,
                    _ => Ctx::Other,
                };
                frames.push(Frame {
                    ctx,
                    paren,
                    open: t.span.1,
                });
                at_start = true;
                prev = Some(t);
                continue;
            }
            Kind::Punct(b'}') => {
                if let Some(f) = frames.pop() {
                    paren = f.paren;
                    if frames.is_empty() && f.ctx == Ctx::Dependencies {
                        script.dependencies_block.get_or_insert((f.open, t.span.0));
                    }
                    if frames.len() == 1 && f.ctx == Ctx::Constraints {
                        script.constraints_block.get_or_insert((f.open, t.span.0));
                    }
                }
                at_start = true;
                prev = Some(t);
                continue;
            }
            _ => {}
        }
        if at_start {
            at_start = false;
            if !t.is(b'.') && !t.is(b'?') {
                out.push((i, frames.last().map_or(Ctx::Other, |f| f.ctx)));
            }
        }
        prev = Some(t);
    }
    Statements {
        starts: out,
        stop: toks.len(),
    }
}
