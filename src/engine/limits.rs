//! The process's own resource limits, so that litescope never mislabels a file because of them.
//!
//! Many shells start programs with a soft limit of 1,024 open files while the hard limit is far
//! higher; opening a folder of a few thousand databases would then fail on healthy files. Raising
//! the soft limit to the hard one is what any process may do, and the worker pool bounds the
//! connections it keeps open under whatever limit results.

/// Raises the soft limit on open files to the hard limit; returns the soft limit now in force.
pub fn raise_open_files() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return DEFAULT;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}

/// The soft limit on open files, or a common default when it cannot be read.
pub fn open_files() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the struct passed to it.
    match unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } {
        0 => limit.rlim_cur,
        _ => DEFAULT,
    }
}

const DEFAULT: u64 = 1024;
