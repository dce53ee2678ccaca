//! PKCS#12 benchmarks (placeholder until written).
fn main() {}
