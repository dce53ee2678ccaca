//! CMS SignedData (RFC 5652 section 5, RFC 8551 section 2).
