//! BER to DER.
