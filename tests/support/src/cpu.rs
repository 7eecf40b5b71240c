//! CPU time a process or thread has used so far, read from `/proc`, for benchmarks that report CPU
//! seconds per unit of work.

/// Clock ticks per second of `/proc/<task>/stat` (`USER_HZ`, 100 on Linux).
pub const TICKS_PER_SECOND: u64 = 100;

/// User plus system CPU time of `task` so far, in clock ticks (fields 14 and 15 of
/// `/proc/<task>/stat`): `task` is a pid, `self` or `thread-self`. 0 when it cannot be read.
pub fn cpu_ticks(task: &str) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{task}/stat")).unwrap_or_default();
    // The command name (field 2) may hold spaces; fields after it are plain.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3, so fields 14 and 15 are at 11 and 12.
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    tick(11) + tick(12)
}
