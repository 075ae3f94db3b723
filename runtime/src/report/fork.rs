//! Fork hooks for the reporting side (stack depot, symbolizer cache,
//! report lock), for the runtime's `pthread_atfork` handlers to call.
//!
//! The depot is lock-free except while its arena is created; the
//! symbolizer's cache and the report lock are only held during a report.
//! A child forked while another thread held one of them would wait on it
//! forever, so the child resets them (that thread does not exist there).

/// `prepare`: no thread may be half-way through creating the depot.
pub fn prepare() {
    crate::stack_depot::lock_for_fork();
}

/// `parent`: undo `prepare`.
pub fn parent() {
    crate::stack_depot::unlock_after_fork();
}

/// `child`: undo `prepare`, and release what a vanished thread held.
pub fn child() {
    crate::stack_depot::unlock_after_fork();
    crate::symbolize::reset_cache_after_fork();
    super::session::reset_after_fork();
}
