//! PKCS#12 (stub in the CA work copy).
