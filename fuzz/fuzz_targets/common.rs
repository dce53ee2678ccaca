// Shared by the certificate targets: touch every accessor of a parsed certificate so that lazy
// or derived fields are exercised too.
use hermes_pki::cert::Certificate;

pub fn exercise(cert: &Certificate) {
    let _ = cert.subject();
    let _ = cert.issuer();
    let _ = cert.serial().to_string();
    let _ = cert.emails();
    let _ = cert.key_usage();
    let _ = cert.extended_key_usage();
    let _ = cert.basic_constraints();
    let _ = cert.subject_key_id();
    let _ = cert.authority_key_id();
    let _ = cert.crl_distribution_points();
    let _ = cert.is_self_signed();
    let _ = cert.key_algorithm();
    let _ = cert.usable_for_signing();
    let _ = cert.usable_for_encryption();
    let _ = cert.to_pem();
}
