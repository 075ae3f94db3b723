//! Unit tests of the allocator's invariants, on the real heap mapping.

use super::*;
