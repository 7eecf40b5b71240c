//! Repository hygiene checks that run as ordinary tests under `cargo test`.

#[cfg(test)]
mod tests;
