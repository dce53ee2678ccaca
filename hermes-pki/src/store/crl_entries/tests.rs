use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::ErrorKind;

fn entry(serial: &[u8], secs: i64, reason: Option<u8>) -> RevokedEntry {
    RevokedEntry {
        serial: Serial::from_bytes(serial),
        date: from_unix_seconds(secs),
        reason,
    }
}

/// Entries whose serials share prefixes, differ in length and include the empty serial
/// (zero), given out of order; dates before and after 1970.
fn sample() -> Vec<RevokedEntry> {
    vec![
        entry(&[0x7f, 2], 1_700_000_000, Some(1)),
        entry(&[1], 1, None),
        entry(&[1, 0], -86_400, Some(0)),
        entry(&[], 0, Some(10)),
        entry(&[0], 3, Some(2)),
        entry(&[0xff; 20], i64::from(u32::MAX) + 7, Some(6)),
        entry(&[1, 0, 0], 42, None),
        entry(&[2], 1_000_000, Some(5)),
    ]
}

fn searched(entries: &CrlEntries, serial: &Serial) -> (Result<Option<RevokedEntry>>, usize) {
    let bytes = entries.as_bytes();
    let mut reads = 0;
    let got = search_stored(bytes.len(), serial, &mut |at, buf| {
        reads += 1;
        let src = bytes
            .get(at..at + buf.len())
            .ok_or_else(|| Error::Storage("read past the end".into()))?;
        buf.copy_from_slice(src);
        Ok(())
    });
    (got, reads)
}

#[test]
fn packs_in_serial_order_and_finds_every_entry() {
    let mut want = sample();
    let packed = CrlEntries::new(&want).unwrap();
    want.sort_by(|a, b| a.serial.cmp(&b.serial));
    assert_eq!(packed.len(), want.len());
    assert_eq!(packed.to_vec(), want);
    for e in &want {
        assert_eq!(packed.get(&e.serial).as_ref(), Some(e), "{}", e.serial);
        assert_eq!(searched(&packed, &e.serial).0.unwrap().as_ref(), Some(e));
    }
    for missing in [&[1u8, 1][..], &[1, 0, 0, 0], &[3], &[0x7f], &[0xff; 21]] {
        let s = Serial::from_bytes(missing);
        assert_eq!(packed.get(&s), None, "{s}");
        assert_eq!(searched(&packed, &s).0.unwrap(), None, "{s}");
    }
}

#[test]
fn dates_are_kept_in_whole_seconds() {
    let exact = RevokedEntry {
        serial: Serial::from_bytes(&[9]),
        date: UNIX_EPOCH + Duration::from_millis(5_500),
        reason: None,
    };
    let packed = CrlEntries::new(std::slice::from_ref(&exact)).unwrap();
    let got = packed.get(&exact.serial).unwrap();
    assert_eq!(got.date, UNIX_EPOCH + Duration::from_secs(5));
}

#[test]
fn the_stored_form_reads_back_equal() {
    let packed = CrlEntries::new(&sample()).unwrap();
    let back = CrlEntries::from_bytes(packed.as_bytes().to_vec()).unwrap();
    assert_eq!(back, packed);
    assert_eq!(back.to_vec(), packed.to_vec());
    let empty = CrlEntries::default();
    assert!(empty.is_empty());
    assert_eq!(empty, CrlEntries::new(&[]).unwrap());
    assert_eq!(
        CrlEntries::from_bytes(empty.as_bytes().to_vec()).unwrap(),
        empty
    );
    assert_eq!(searched(&empty, &Serial::from_bytes(&[1])).0.unwrap(), None);
}

#[test]
fn a_serial_listed_twice_or_reason_255_is_refused() {
    let mut twice = sample();
    twice.push(entry(&[2], 5, None));
    let err = CrlEntries::new(&twice).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("listed twice"), "{err}");
    let err = CrlEntries::new(&[entry(&[1], 0, Some(255))]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("255"), "{err}");
}

#[test]
fn a_search_reads_a_few_bytes_per_halving() {
    let many: Vec<RevokedEntry> = (0u32..100_000)
        .map(|i| entry(&(i * 7 + 1).to_be_bytes(), i64::from(i), None))
        .collect();
    let packed = CrlEntries::new(&many).unwrap();
    let (got, reads) = searched(&packed, &many[77_777].serial);
    assert_eq!(got.unwrap().as_ref(), Some(&many[77_777]));
    // Header and the end of the serials, then two reads per step of 17, then the entry.
    assert!(reads <= 2 + 2 * 17 + 2, "{reads} reads");
}

/// Every way a stored value can be broken is a storage error, whether read whole or searched.
#[test]
fn corrupt_stored_values_are_storage_errors() {
    let good = CrlEntries::new(&sample()).unwrap().as_bytes().to_vec();
    let n = sample().len();
    let serials_at = HEADER + 4 * (n + 1);
    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("truncated", good[..good.len() - 1].to_vec()),
        ("longer", [good.as_slice(), &[0]].concat()),
    ];
    let mut version = good.clone();
    version[0] = 2;
    cases.push(("version", version));
    let mut count = good.clone();
    count[1] += 1;
    cases.push(("count", count));
    // The serials in order: [] [0] [1] [1 0] [1 0 0] [2] [7f 2] [ff x20]. Swapping [1] and
    // [2] breaks the order.
    let mut order = good.clone();
    let one = serials_at + 1;
    let two = serials_at + 1 + 1 + 2 + 3;
    order.swap(one, two);
    cases.push(("order", order));
    // One entry [5 1] whose first byte becomes zero: in order, but not minimal.
    let mut zero = CrlEntries::new(&[entry(&[5, 1], 0, None)])
        .unwrap()
        .as_bytes()
        .to_vec();
    zero[HEADER + 8] = 0;
    cases.push(("leading zero", zero));
    let mut offsets = good.clone();
    offsets[HEADER + 4 * 2] = 9; // the third serial starting past the fourth
    cases.push(("offsets", offsets));
    for (what, bytes) in cases {
        let err = CrlEntries::from_bytes(bytes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Storage, "{what}: {err}");
        assert!(err.to_string().contains("corrupt"), "{what}: {err}");
    }
    for (what, bytes) in [
        ("truncated", &good[..good.len() - 1]),
        ("short", &good[..3]),
    ] {
        let err = search_stored(bytes.len(), &Serial::from_bytes(&[2]), &mut |at, buf| {
            buf.copy_from_slice(&bytes[at..at + buf.len()]);
            Ok(())
        })
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Storage, "{what}: {err}");
    }
}
