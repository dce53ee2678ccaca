//! Shared helpers for the integration tests: making real certificates with the `openssl`
//! command at test time.
