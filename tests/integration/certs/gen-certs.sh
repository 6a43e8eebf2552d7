#!/usr/bin/env bash
# gen-certs.sh DIR -- make throw-away TLS material for the integration tests.
# Nothing here is ever committed: tests call this at run time into a temp dir.
#
# Files written (the names `pgkv start --certs-dir DIR` expects):
#   ca.crt, ca.key        test CA (self-signed, 2048-bit RSA, 1 day)
#   node.crt, node.key    server certificate signed by the CA, CN=localhost,
#                         subjectAltName DNS:localhost, IP:127.0.0.1
#   other-ca.crt          an unrelated CA, for "verify against the wrong CA"
# node.key is mode 0600 (PostgreSQL refuses a group- or world-readable key).
set -euo pipefail
dir=${1:?usage: gen-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
umask 077
log=gen-certs.log
{
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=pgkv test CA" \
		-keyout ca.key -out ca.crt \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=pgkv other CA" \
		-keyout other-ca.key -out other-ca.crt \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
	openssl req -new -newkey rsa:2048 -nodes -subj "/CN=localhost" \
		-keyout node.key -out node.csr
	printf '%s\n' "basicConstraints=CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" \
		"subjectAltName=DNS:localhost,IP:127.0.0.1" >node.ext
	openssl x509 -req -in node.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
		-days 1 -sha256 -extfile node.ext -out node.crt
} >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
chmod 600 node.key ca.key other-ca.key
chmod 644 ca.crt node.crt other-ca.crt
rm -f node.csr node.ext ca.srl other-ca.key
