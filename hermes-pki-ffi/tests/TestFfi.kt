// Compiled with the generated Kotlin bindings and run in CI when a Kotlin compiler accepts them
// (hermes-pki-ffi/tests/generate_and_test.sh): the gateway flow through the facade.
import uniffi.hermes_pki_ffi.*

fun check(ok: Boolean, what: String) {
    if (!ok) throw AssertionError("FAILED: $what")
    println("ok: $what")
}

fun main() {
    check(version().isNotEmpty(), "version ${version()}")
    val a = Pki.inMemory()
    val b = Pki.inMemory()
    val caA = a.caCreate(CaRequest("Gateway A CA", null, null, KeyType.EC_P256, null, null, true))
    val caB = b.caCreate(CaRequest("Gateway B CA", null, null, KeyType.EC_P256, null, null, true))
    val alice = a.issue(IssueRequest("alice@a.example", "Alice", null, null, KeyType.EC_P256, null, null))
    val bob = b.issue(IssueRequest("bob@b.example", "Bob", null, null, KeyType.EC_P256, null, null))
    a.addTrustAnchor(caB.rootCertificate)
    b.addTrustAnchor(caA.rootCertificate)
    a.importCertificates(bob.certificate.toPem().toByteArray())
    val verdict = a.validate(bob.certificate, Usage.SmimeEncryption, null, listOf())
    check(verdict.valid && verdict.reasons.isEmpty(), "Bob's certificate is valid at A")

    val mail = "From: alice@a.example\r\nTo: bob@b.example\r\nSubject: Hi\r\n\r\nHello Bob\r\n"
    val sent = a.protect(mail.toByteArray(), "alice@a.example", listOf("bob@b.example"), null)
    check(sent.signing.signed && sent.recipients[0].encrypted, "signed and encrypted")
    val opened = b.openMessage(sent.messages[0].message, null)
    check(opened is Opened.Processed, "processed")
    val m = (opened as Opened.Processed).opened
    check(m.valid && m.signers[0].addresses == listOf("alice@a.example"), "valid, signed by Alice")
    check(String(m.message).contains("Hello Bob"), "the text is there")
    check(alice.certificate == m.signers[0].certificate, "the signer certificate is Alice's")

    try {
        Certificate.fromDer(byteArrayOf(1, 2, 3))
        check(false, "garbage parsed")
    } catch (e: HermesException.Parse) {
        check(e.message.isNotEmpty(), "garbage: Parse error: ${e.message}")
    }
    println("kotlin flow: every check passed")
}
