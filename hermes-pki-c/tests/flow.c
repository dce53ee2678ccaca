/*
 * The C API's flow, as a mail filter runs it: two gateways (stores) exchange trust, one
 * protects a message, the other opens it and reads the verdict and the signer; a certificate
 * is validated before and after its CA is trusted; bad input gets its error kind and message.
 * Every check that fails prints what and exits 1. Run under valgrind in CI (no leak).
 *
 * Usage: flow DIR   (DIR: an empty directory for the two stores)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hermes_pki.h"

static int checks = 0;

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        checks++;                                                                         \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "FAILED (%s:%d): %s: ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fprintf(stderr, "\n");                                                        \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)

/* Calls a HermesStatus function and fails with its error kind and message unless it is OK. */
#define OK(call)                                                                          \
    do {                                                                                  \
        HermesStatus st_ = (call);                                                        \
        CHECK(st_ == HERMES_STATUS_OK, "%s: %s", hermes_status_name((int)st_),            \
              hermes_last_error_message() ? hermes_last_error_message() : "(no message)"); \
    } while (0)

static HermesPki *open_store(const char *base, const char *name) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", base, name);
    HermesPki *pki = NULL;
    OK(hermes_pki_open(dir, &pki));
    CHECK(pki != NULL, "no handle");
    return pki;
}

static const uint8_t *bytes(const char *s) { return (const uint8_t *)s; }

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    printf("hermes-pki C API %s\n", hermes_version());

    /* Two gateways, each with its own CA and user. */
    HermesPki *a = open_store(argv[1], "gateway-a");
    HermesPki *b = open_store(argv[1], "gateway-b");
    char *ca_a = NULL, *ca_b = NULL, *alice = NULL, *bob = NULL;
    OK(hermes_ca_create(a, "Gateway A CA", HERMES_KEY_TYPE_EC_P256, &ca_a));
    OK(hermes_ca_create(b, "Gateway B CA", HERMES_KEY_TYPE_EC_P256, &ca_b));
    OK(hermes_issue(a, "alice@a.example", "Alice", HERMES_KEY_TYPE_EC_P256, &alice));
    OK(hermes_issue(b, "bob@b.example", "Bob", HERMES_KEY_TYPE_EC_P256, &bob));
    CHECK(strstr(bob, "-----BEGIN CERTIFICATE-----") == bob, "not PEM: %.40s", bob);

    /* Gateway A does not trust B's CA yet: Bob's certificate is not valid, with a reason. */
    HermesValidation *v = NULL;
    OK(hermes_validate(a, bytes(bob), strlen(bob), HERMES_USAGE_SMIME_ENCRYPTION, &v));
    CHECK(!hermes_validation_is_valid(v), "Bob's certificate valid without its CA");
    CHECK(hermes_validation_reason_count(v) >= 1, "no reason");
    const char *reason = hermes_validation_reason(v, 0);
    CHECK(reason != NULL && strlen(reason) > 0, "empty reason");
    CHECK(hermes_validation_reason(v, hermes_validation_reason_count(v)) == NULL,
          "a reason past the end");
    printf("before trusting B's CA, Bob's certificate is not valid: %s\n", reason);
    hermes_validation_free(v);

    /* Exchange trust anchors, and A imports Bob's certificate. */
    OK(hermes_add_trust_anchor(a, bytes(ca_b), strlen(ca_b)));
    OK(hermes_add_trust_anchor(b, bytes(ca_a), strlen(ca_a)));
    size_t imported = 0, problems = 0;
    OK(hermes_import_certificates(a, bytes(bob), strlen(bob), &imported, &problems));
    CHECK(imported == 1 && problems == 0, "imported %zu, problems %zu", imported, problems);

    v = NULL;
    OK(hermes_validate(a, bytes(bob), strlen(bob), HERMES_USAGE_SMIME_ENCRYPTION, &v));
    CHECK(hermes_validation_is_valid(v), "Bob's certificate not valid: %s",
          hermes_validation_reason(v, 0));
    CHECK(hermes_validation_reason_count(v) == 0, "reasons on a valid certificate");
    hermes_validation_free(v);

    /* A protects a message from Alice to Bob: signed, and encrypted to Bob. */
    const char *msg = "From: Alice <alice@a.example>\r\nTo: Bob <bob@b.example>\r\n"
                      "Subject: Ticket 4711\r\n\r\nHello Bob, the ticket is solved.\r\n";
    const char *to[] = {"bob@b.example"};
    HermesProtected *p = NULL;
    OK(hermes_protect(a, bytes(msg), strlen(msg), "alice@a.example", to, 1, &p));
    CHECK(hermes_protected_is_signed(p), "not signed");
    CHECK(hermes_protected_message_count(p) == 1, "%zu messages", hermes_protected_message_count(p));
    CHECK(hermes_protected_recipient_count(p) == 1, "recipients");
    CHECK(strcmp(hermes_protected_recipient(p, 0), "bob@b.example") == 0, "recipient %s",
          hermes_protected_recipient(p, 0));
    CHECK(hermes_protected_recipient_encrypted(p, 0), "not encrypted: %s",
          hermes_protected_recipient_why_not(p, 0));
    CHECK(hermes_protected_recipient_why_not(p, 0) == NULL, "a why-not for an encrypted one");
    CHECK(hermes_protected_recipient_message(p, 0) == 0, "message index");
    const uint8_t *sent = NULL;
    size_t sent_len = 0;
    OK(hermes_protected_message(p, 0, &sent, &sent_len));
    CHECK(sent_len > strlen(msg), "protected message of %zu bytes", sent_len);
    CHECK(hermes_protected_message(p, 1, &sent, &sent_len) == HERMES_STATUS_INVALID_ARGUMENT,
          "message 1 of 1");
    OK(hermes_protected_message(p, 0, &sent, &sent_len));
    printf("protected: %zu bytes, signed and encrypted to bob@b.example\n", sent_len);

    /* B opens it: processed, decrypted, signed by Alice, valid. */
    HermesOpened *o = NULL;
    OK(hermes_open(b, sent, sent_len, &o));
    CHECK(hermes_opened_kind(o) == HERMES_OPENED_KIND_PROCESSED, "kind %d",
          (int)hermes_opened_kind(o));
    CHECK(hermes_opened_is_encrypted(o), "not encrypted");
    CHECK(hermes_opened_is_signed(o), "not signed");
    CHECK(hermes_opened_signer_count(o) == 1, "%zu signers", hermes_opened_signer_count(o));
    CHECK(hermes_opened_signer_is_valid(o, 0), "signer not valid: %s",
          hermes_opened_signer_reasons(o, 0));
    CHECK(hermes_opened_is_valid(o), "message not valid");
    CHECK(strcmp(hermes_opened_signer_email(o, 0), "alice@a.example") == 0, "signer %s",
          hermes_opened_signer_email(o, 0));
    CHECK(strcmp(hermes_opened_signer_reasons(o, 0), "") == 0, "reasons of a valid signer");
    CHECK(hermes_opened_unreadable_reason(o) == NULL, "an unreadable reason");
    const uint8_t *inner = NULL;
    size_t inner_len = 0;
    OK(hermes_opened_message(o, &inner, &inner_len));
    char *text = malloc(inner_len + 1);
    CHECK(text != NULL, "malloc");
    memcpy(text, inner, inner_len);
    text[inner_len] = '\0';
    CHECK(strstr(text, "Hello Bob, the ticket is solved.") != NULL, "body lost: %s", text);
    CHECK(strstr(text, "Subject: Ticket 4711") != NULL, "subject lost: %s", text);
    printf("opened at B: valid, signed by %s\n", hermes_opened_signer_email(o, 0));
    free(text);
    hermes_opened_free(o);
    hermes_protected_free(p);

    /* A plain message is not S/MIME: an answer, not an error. */
    o = NULL;
    OK(hermes_open(b, bytes(msg), strlen(msg), &o));
    CHECK(hermes_opened_kind(o) == HERMES_OPENED_KIND_NOT_SMIME, "plain message kind %d",
          (int)hermes_opened_kind(o));
    CHECK(!hermes_opened_is_valid(o) && hermes_opened_signer_count(o) == 0, "verdicts on plain");
    hermes_opened_free(o);

    /* Bad input: the specific error kind and a message; no handle is returned. */
    HermesStatus st = hermes_add_trust_anchor(a, bytes("not a certificate"), 17);
    CHECK(st == HERMES_STATUS_PARSE, "garbage anchor: %s", hermes_status_name((int)st));
    CHECK(hermes_last_error_message() != NULL && strlen(hermes_last_error_message()) > 0,
          "no message");
    printf("garbage as a trust anchor: %s: %s\n", hermes_status_name((int)st),
           hermes_last_error_message());
    st = hermes_add_trust_anchor(a, bytes(alice), strlen(alice));
    CHECK(st == HERMES_STATUS_NOT_CA, "end-entity anchor: %s", hermes_status_name((int)st));
    p = NULL;
    st = hermes_protect(a, bytes(msg), strlen(msg), "alice@a.example", to, 0, &p);
    CHECK(st == HERMES_STATUS_INVALID_ARGUMENT && p == NULL, "no recipients: %s",
          hermes_status_name((int)st));
    const char *bad[] = {"not an address"};
    st = hermes_protect(a, bytes(msg), strlen(msg), "alice@a.example", bad, 1, &p);
    CHECK(st == HERMES_STATUS_INVALID_ARGUMENT && p == NULL, "bad address: %s",
          hermes_status_name((int)st));
    st = hermes_protect(a, NULL, 5, "alice@a.example", to, 1, &p);
    CHECK(st == HERMES_STATUS_INVALID_ARGUMENT, "NULL message: %s", hermes_status_name((int)st));
    CHECK(strcmp(hermes_last_error_message(), "message is NULL with length 5") == 0, "message: %s",
          hermes_last_error_message());
    v = NULL;
    st = hermes_validate(a, bytes(bob), strlen(bob), 42, &v);
    CHECK(st == HERMES_STATUS_INVALID_ARGUMENT && v == NULL, "usage 42: %s",
          hermes_status_name((int)st));
    CHECK(strcmp(hermes_status_name(1000), "unknown") == 0, "status 1000");
    /* A success clears the message. */
    OK(hermes_import_certificates(a, bytes(bob), strlen(bob), NULL, NULL));
    CHECK(hermes_last_error_message() == NULL, "a message after a success");

    hermes_string_free(ca_a);
    hermes_string_free(ca_b);
    hermes_string_free(alice);
    hermes_string_free(bob);
    hermes_pki_free(a);
    hermes_pki_free(b);
    printf("C flow: %d checks passed\n", checks);
    return 0;
}
