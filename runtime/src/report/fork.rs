//! Fork hooks for the reporting side (stack depot, symbolizer cache,
//! report lock, allocation history), for the runtime's `pthread_atfork`
//! handlers to call.
//!
//! The depot is lock-free except while its arena is created; the
//! symbolizer's cache is only held during a report. Both are taken across
//! fork (a child must not see the cache half-updated), and released on
//! both sides. The report lock is not a lock `prepare` may take (the
//! reporting thread's callback may fork): a child forked while another
//! thread reported releases it, as that thread does not exist there.

/// `prepare`: no thread may be half-way through creating the depot.
pub fn prepare() {
    crate::symbolize::lock_cache_for_fork();
    crate::stack_depot::lock_for_fork();
}

/// `parent`: undo `prepare`.
pub fn parent() {
    crate::stack_depot::unlock_after_fork();
    crate::symbolize::reset_cache_after_fork();
}

/// `child`: undo `prepare`, and release what a vanished thread held.
pub fn child() {
    crate::stack_depot::unlock_after_fork();
    crate::symbolize::reset_cache_after_fork();
    super::session::reset_after_fork();
    crate::history::after_fork_child();
}

#[cfg(test)]
mod tests {
    use crate::stack_depot::{capture, lookup};
    use crate::unwind::Origin;

    #[test]
    fn the_child_can_capture_and_report_after_fork() {
        super::prepare();
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            super::child();
            // No malloc here: the test harness's other threads are gone.
            let ok = lookup(capture(Origin::here())).is_some_and(|s| !s.frames.is_empty());
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        super::parent();
        let mut status = 0;
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "child status {status:#x}"
        );
        assert!(lookup(capture(Origin::here())).is_some());
    }
}
