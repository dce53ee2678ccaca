use std::cell::Cell;

use super::KeyCache;
use crate::error::Error;
use crate::key::{KeySpec, PrivateKey};

fn ec_key() -> PrivateKey {
    PrivateKey::generate(KeySpec::EcP256).unwrap()
}

#[test]
fn a_hit_returns_the_same_key_object_without_loading() {
    let cache = KeyCache::new(4);
    let key = ec_key();
    let id = key.key_id();
    let loads = Cell::new(0);
    let load = |k: &PrivateKey| {
        loads.set(loads.get() + 1);
        Ok(k.clone())
    };
    let first = cache.get_or_load(&id, b"sealed-1", || load(&key)).unwrap();
    let second = cache
        .get_or_load(&id, b"sealed-1", || load(&ec_key()))
        .unwrap();
    assert_eq!(loads.get(), 1, "the second call is served from the cache");
    assert!(first.same_object(&second));
    assert!(second.same_object(&key));
    assert_eq!(cache.len(), 1);
}

#[test]
fn other_source_bytes_for_the_same_id_load_again_and_replace_the_entry() {
    let cache = KeyCache::new(4);
    let old = ec_key();
    let id = old.key_id();
    cache
        .get_or_load(&id, b"sealed-old", || Ok(old.clone()))
        .unwrap();

    // The store now holds other bytes under the id (stored again, or replaced): not served
    // from the old entry.
    let new = ec_key();
    let got = cache
        .get_or_load(&id, b"sealed-new", || Ok(new.clone()))
        .unwrap();
    assert!(got.same_object(&new));
    assert!(!got.same_object(&old));
    assert_eq!(cache.len(), 1, "one entry per id");

    // The old bytes do not find the old key any more: the entry was replaced.
    let again = ec_key();
    let got = cache
        .get_or_load(&id, b"sealed-old", || Ok(again.clone()))
        .unwrap();
    assert!(got.same_object(&again));
}

#[test]
fn a_failed_load_is_returned_and_not_cached() {
    let cache = KeyCache::new(4);
    let key = ec_key();
    let id = key.key_id();
    let err = cache
        .get_or_load(&id, b"sealed", || Err(Error::BadPassword))
        .unwrap_err();
    assert!(matches!(err, Error::BadPassword), "{err:?}");
    assert_eq!(cache.len(), 0);
    // The same bytes fail again the same way (nothing remembered of the failure either).
    let err = cache
        .get_or_load(&id, b"sealed", || Err(Error::BadPassword))
        .unwrap_err();
    assert!(matches!(err, Error::BadPassword), "{err:?}");
    let got = cache
        .get_or_load(&id, b"sealed", || Ok(key.clone()))
        .unwrap();
    assert!(got.same_object(&key));
}

#[test]
fn the_bound_holds_and_the_least_recently_used_key_goes_first() {
    let cache = KeyCache::new(3);
    let keys: Vec<PrivateKey> = (0..5).map(|_| ec_key()).collect();
    let put = |k: &PrivateKey| {
        cache
            .get_or_load(&k.key_id(), b"s", || Ok(k.clone()))
            .unwrap()
    };
    put(&keys[0]);
    put(&keys[1]);
    put(&keys[2]);
    // Use key 0 again: key 1 is now the least recently used.
    put(&keys[0]);
    put(&keys[3]);
    assert_eq!(cache.len(), 3);
    assert!(cache.contains(&keys[0].key_id()));
    assert!(!cache.contains(&keys[1].key_id()), "key 1 was evicted");
    assert!(cache.contains(&keys[2].key_id()));
    assert!(cache.contains(&keys[3].key_id()));
    put(&keys[4]);
    assert_eq!(cache.len(), 3);
    assert!(!cache.contains(&keys[2].key_id()), "then key 2");
}

#[test]
fn an_evicted_key_is_dropped_once_no_caller_holds_it() {
    let cache = KeyCache::new(1);
    let alive = {
        let key = ec_key();
        let alive = key.alive_probe();
        cache.get_or_load(&key.key_id(), b"s", || Ok(key)).unwrap();
        alive
    };
    assert!(alive(), "held by the cache");
    let other = ec_key();
    cache
        .get_or_load(&other.key_id(), b"s", || Ok(other.clone()))
        .unwrap();
    assert!(
        !alive(),
        "evicted and dropped (the key types zeroize on drop)"
    );
}

#[test]
fn remove_and_a_zero_capacity_keep_nothing() {
    let cache = KeyCache::new(2);
    let key = ec_key();
    let id = key.key_id();
    cache.get_or_load(&id, b"s", || Ok(key.clone())).unwrap();
    assert!(cache.remove(&id));
    assert!(!cache.remove(&id));
    assert_eq!(cache.len(), 0);

    let none = KeyCache::new(0);
    none.get_or_load(&id, b"s", || Ok(key.clone())).unwrap();
    assert_eq!(none.len(), 0);
}

#[test]
fn concurrent_first_loads_end_up_sharing_one_key_object() {
    let cache = KeyCache::new(4);
    let key = ec_key();
    let id = key.key_id();
    let got: Vec<PrivateKey> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    // Each thread decodes its own copy (as a store would on a cold cache).
                    let der = key.to_pkcs8_der().unwrap();
                    cache
                        .get_or_load(&id, b"s", || PrivateKey::from_pkcs8_der(&der))
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let cached = cache
        .get_or_load(&id, b"s", || Err(Error::BadPassword))
        .unwrap();
    // Whichever copy was cached first, every thread got that one.
    assert!(got.iter().all(|k| k.same_object(&cached)));
    assert_eq!(cache.len(), 1);
}
