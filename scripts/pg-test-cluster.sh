#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests of the PostgreSQL store.
#
#   scripts/pg-test-cluster.sh start DIR   initdb into DIR/data (as the postgres user when run as
#                                          root: initdb refuses root), start it on a free port
#                                          of 127.0.0.1 and a Unix socket in DIR, and print the
#                                          URL for HERMES_PKI_TEST_PG_URL on stdout
#   scripts/pg-test-cluster.sh stop DIR    stop it (the caller removes DIR)
#
# Installs Debian's postgresql when no server binaries are found. Password authentication
# (scram-sha-256) over TCP, so that the tests can check refused credentials; fsync off (the
# cluster is thrown away). TLS on over TCP (clients may still connect without it): a test CA
# (DIR/tls/ca.crt, its key thrown away) issued the server's certificate (DIR/tls/server.crt,
# P-256, subjectAltName DNS:localhost only, so that 127.0.0.1 is a name mismatch); the tests find
# the CA beside the server's certificate (SHOW ssl_cert_file). The Unix socket has no TLS. Needs
# openssl (scripts/test.sh installs it).
set -euo pipefail

cmd=${1:?usage: pg-test-cluster.sh start|stop DIR}
dir=${2:?usage: pg-test-cluster.sh start|stop DIR}

find_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/initdb && -x $d/pg_ctl ]] && { echo "$d"; return 0; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    return 1
}

as_owner() { # runs "$@" as the cluster's owner
    if [[ $(id -u) == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case $cmd in
start)
    if ! bin=$(find_bin); then
        echo "installing postgresql (Debian)" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >&2
        apt-get install -y -q postgresql >&2
        bin=$(find_bin)
    fi
    mkdir -p "$dir"
    if [[ $(id -u) == 0 ]]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" postgres
        chown postgres "$dir"
    fi
    chmod 700 "$dir"
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    printf '%s\n' "$password" >"$dir/pwfile"
    [[ $(id -u) == 0 ]] && chown postgres "$dir/pwfile"
    as_owner "$bin/initdb" -D "$dir/data" -U hermes --pwfile="$dir/pwfile" -E UTF8 \
        --locale=C.UTF-8 --auth-host=scram-sha-256 --auth-local=trust >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    tls=$dir/tls
    mkdir -p "$tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
        -subj "/CN=hermes-pki test PostgreSQL CA" -keyout "$tls/ca.key" -out "$tls/ca.crt" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>"$tls/openssl.log" \
        || { cat "$tls/openssl.log" >&2; exit 1; }
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
        -keyout "$tls/server.key" -out "$tls/server.csr" 2>"$tls/openssl.log" \
        || { cat "$tls/openssl.log" >&2; exit 1; }
    printf '%s\n' "subjectAltName=DNS:localhost" "basicConstraints=critical,CA:FALSE" \
        "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
        -set_serial 2 -days 7 -extfile "$tls/server.ext" -out "$tls/server.crt" \
        2>"$tls/openssl.log" || { cat "$tls/openssl.log" >&2; exit 1; }
    rm -f "$tls/ca.key" "$tls/server.csr" "$tls/server.ext" "$tls/openssl.log"
    chmod 600 "$tls/server.key"
    [[ $(id -u) == 0 ]] && chown -R postgres "$tls"
    # A free port: ask the kernel for one, then let the server take it.
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c ssl=on -c ssl_cert_file=$tls/server.crt -c ssl_key_file=$tls/server.key" \
        start >&2 || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "postgres://hermes:$password@127.0.0.1:$port/postgres"
    ;;
stop)
    bin=$(find_bin)
    if [[ -f $dir/data/postmaster.pid ]]; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
    fi
    ;;
*)
    echo "usage: pg-test-cluster.sh start|stop DIR" >&2
    exit 2
    ;;
esac
