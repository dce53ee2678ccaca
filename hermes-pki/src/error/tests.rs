use super::*;

#[test]
fn kinds_map_and_messages_are_actionable() {
    let e = Error::KeyMismatch;
    assert_eq!(e.kind(), ErrorKind::KeyMismatch);
    assert!(e.to_string().contains("does not match"));
    let e = Error::malformed("certificate", "truncated");
    assert_eq!(e.kind(), ErrorKind::Parse);
    assert_eq!(e.to_string(), "malformed certificate: truncated");
    assert_eq!(ErrorKind::BadPassword.to_string(), "bad-password");
}
