use super::*;

#[test]
fn memory_store_passes_the_conformance_suite() {
    super::super::conformance::run_all(&mut || Ok(Box::new(MemoryStore::new()))).unwrap();
}
