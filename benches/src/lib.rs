//! Benchmarks live in `benches/`; this library target is empty.
