//! The tag layout and shadow encoding, from the `tagsan-abi` crate (the one
//! source the pass, the CLI and the tests share). Re-exported here so the
//! runtime's modules say `use crate::layout::*`.

pub use tagsan_abi::layout::*;
pub use tagsan_abi::shadow::*;
