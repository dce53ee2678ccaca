//! CMS EnvelopedData and AuthEnvelopedData (RFC 5652, RFC 5083/5084, RFC 5753, RFC 8018).
