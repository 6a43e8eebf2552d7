#!/usr/bin/env bash
# test_drain_deploy.sh -- lint the deploy/ examples as far as this machine
# allows (issue 6): docker and kubernetes cannot run here.
#
#   haproxy      haproxy -c -f deploy/haproxy/haproxy.cfg; health check on
#                /health?ready=1; no active on-marked-down shutdown-sessions
#   systemd      systemd-analyze verify on the unit (ExecStart pointed at
#                $PGKV_BIN, the only path that differs here); TimeoutStopSec
#                above drain_wait + connection_wait + query_wait + 2 s
#   configs      every pgkv.conf shipped (systemd, docker, the Kubernetes
#                ConfigMap) starts a real pgkv (listeners and store
#                overridden by flags) to /health?ready=1
#   kubernetes   the YAML parses (python3 yaml); Deployment + Service;
#                readinessProbe on /health?ready=1; terminationGracePeriodSeconds
#                above the drain settings; the Service selects the pods
#   docker       Debian 12, built with scripts/install-deps.sh, STOPSIGNAL
#                SIGTERM; every shared library pgkv links comes from a
#                package the runtime stage installs
#
# Each part that needs a missing tool is skipped with a message.  pgkv-only:
# passes with a skip under PGKV_TARGET=postgres.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

if [ "$PGKV_TARGET" = postgres ]; then
	echo "# skip: deploy lint is pgkv-only (PGKV_TARGET=postgres)"
	echo "0 passed, 0 failed (target postgres), skipped"
	exit 0
fi

DEPLOY=$PGKV_SRC/deploy
TMP=$(mktemp -d /tmp/pgkv-deploy-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# dur_ms DURATION: "5s", "500ms", "2m", "0" -> milliseconds.
dur_ms() {
	local v=$1
	case "$v" in
	*ms) echo $((${v%ms})) ;;
	*s) echo $((${v%s} * 1000)) ;;
	*min) echo $((${v%min} * 60000)) ;;
	*m) echo $((${v%m} * 60000)) ;;
	*) echo $((v * 1000)) ;;
	esac
}

# drain_budget_ms CONF: drain_wait + connection_wait + query_wait + 2 s, with
# pgkv's defaults (5s, 0, 10s) for keys the file does not set.
drain_budget_ms() {
	local dw=5s cw=0s qw=10s key val
	while IFS='=' read -r key val; do
		key=$(echo "$key" | tr -d ' \t' | tr - _)
		val=$(echo "$val" | tr -d ' \t')
		case "$key" in
		drain_wait) dw=$val ;;
		connection_wait) cw=$val ;;
		query_wait) qw=$val ;;
		esac
	done < <(grep -v '^[[:space:]]*#' "$1" | grep '=')
	echo $(($(dur_ms "$dw") + $(dur_ms "$cw") + $(dur_ms "$qw") + 2000))
}

# conf_starts NAME FILE: pgkv accepts the file (flags override the
# addresses, the store and the socket directory) and becomes ready.
conf_starts() {
	local name=$1 file=$2 log=$TMP/$1.log pid rc=1 out
	"$PGKV_BIN" start --config "$file" --listen 127.0.0.1:0 --http 127.0.0.1:0 \
		--store "embedded:$TMP/$name-store" --socket-dir '' >"$log" 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		out=$(grep -o 'http_port=[0-9]*' "$log" 2>/dev/null | cut -d= -f2)
		if [ -n "$out" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$out/health?ready=1")" = 200 ]; then
			rc=0
			break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $rc -eq 0 ] || sed 's/^/#   /' "$log"
	return $rc
}

echo "# -- haproxy"
HAPROXY=$(command -v haproxy || ls /usr/sbin/haproxy 2>/dev/null || true)
if [ -n "$HAPROXY" ]; then
	out=$("$HAPROXY" -c -f "$DEPLOY/haproxy/haproxy.cfg" 2>&1)
	rc=$?
	[ $rc -eq 0 ] || echo "$out" | sed 's/^/#   /'
	it_ok $rc "haproxy -c -f deploy/haproxy/haproxy.cfg"
else
	echo "# skip: haproxy is not installed (scripts/install-deps.sh installs it)"
fi
it_check "haproxy.cfg checks /health?ready=1" grep -Eq '^[[:space:]]*option[[:space:]]+httpchk[[:space:]]+GET[[:space:]]+/health\?ready=1' "$DEPLOY/haproxy/haproxy.cfg"
it_check "haproxy.cfg has no active on-marked-down shutdown-sessions" \
	bash -c "! grep -Eq '^[^#]*on-marked-down[[:space:]]+shutdown-sessions' '$DEPLOY/haproxy/haproxy.cfg'"

echo "# -- systemd"
UNIT=$DEPLOY/systemd/pgkv.service
if command -v systemd-analyze >/dev/null 2>&1; then
	sed "s#^ExecStart=/usr/local/bin/pgkv#ExecStart=$PGKV_BIN#" "$UNIT" >"$TMP/pgkv.service"
	out=$(systemd-analyze verify "$TMP/pgkv.service" 2>&1)
	rc=$?
	# Warnings (lines naming our unit) fail the lint as well.
	if [ $rc -eq 0 ] && echo "$out" | grep -q 'pgkv.service'; then rc=1; fi
	[ -z "$out" ] || echo "$out" | sed 's/^/#   /'
	it_ok $rc "systemd-analyze verify deploy/systemd/pgkv.service"
else
	echo "# skip: systemd-analyze is not installed (Debian package systemd)"
fi
stop_s=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s\{0,1\}$/\1/p' "$UNIT")
budget=$(drain_budget_ms "$DEPLOY/systemd/pgkv.conf")
it_check "TimeoutStopSec (${stop_s:-unset}s) above the drain budget (${budget} ms)" \
	test -n "$stop_s" -a $((stop_s * 1000)) -gt "$budget"
it_check "the unit stops with SIGTERM" grep -q '^KillSignal=SIGTERM$' "$UNIT"
it_check "systemd pgkv.conf starts pgkv" conf_starts systemd "$DEPLOY/systemd/pgkv.conf"

echo "# -- docker"
DF=$DEPLOY/docker/Dockerfile
it_check "Dockerfile builds on Debian 12" grep -Eq '^FROM debian:12( |$)' "$DF"
it_check "Dockerfile runs scripts/install-deps.sh" grep -q 'scripts/install-deps.sh' "$DF"
it_check "Dockerfile stops with SIGTERM" grep -q '^STOPSIGNAL SIGTERM$' "$DF"
it_check "docker pgkv.conf starts pgkv" conf_starts docker "$DEPLOY/docker/pgkv.conf"
# The runtime stage must install the package of every library pgkv links.
missing=""
runtime=$(sed -n '/^FROM debian:12-slim/,$p' "$DF")
for lib in $(ldd "$PGKV_BIN" | awk '$3 ~ /^\// {print $3}'); do
	pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -1 | cut -d: -f1)
	[ -z "$pkg" ] && pkg=$(dpkg -S "$lib" 2>/dev/null | head -1 | cut -d: -f1)
	# sanitizer runtimes appear only in `make test SAN=1` builds
	case "$pkg" in "" | libc6 | libstdc++6 | libgcc-s1 | libasan* | libubsan* | liblsan*) continue ;; esac
	echo "$runtime" | grep -qw -- "$pkg" || missing="$missing $pkg"
done
[ -z "$missing" ] || echo "#   not installed by the runtime stage:$missing"
it_ok "$([ -z "$missing" ] && echo 0 || echo 1)" "the Dockerfile's runtime stage installs every library pgkv links"

echo "# -- kubernetes"
K8S=$DEPLOY/kubernetes/pgkv.yaml
if python3 -c 'import yaml' 2>/dev/null; then
	out=$(python3 - "$K8S" "$TMP/k8s.conf" <<'PY' 2>&1
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {d["kind"]: d for d in docs}
for k in ("Deployment", "Service", "ConfigMap"):
    assert k in kinds, f"no {k}"
dep, svc, cm = kinds["Deployment"], kinds["Service"], kinds["ConfigMap"]
assert dep["apiVersion"] == "apps/v1", "Deployment apiVersion"
pod = dep["spec"]["template"]
labels = pod["metadata"]["labels"]
assert dep["spec"]["selector"]["matchLabels"].items() <= labels.items(), "selector does not match the pod labels"
assert svc["spec"]["selector"].items() <= labels.items(), "Service does not select the pods"
c = pod["spec"]["containers"][0]
rp = c["readinessProbe"]["httpGet"]
assert rp["path"] == "/health?ready=1", f"readinessProbe path {rp['path']}"
ports = {p["name"]: p["containerPort"] for p in c["ports"]}
assert rp["port"] in ports or rp["port"] in ports.values(), "readinessProbe port"
for p in svc["spec"]["ports"]:
    assert p["targetPort"] in ports, f"Service targetPort {p['targetPort']}"
open(sys.argv[2], "w").write(cm["data"]["pgkv.conf"])
print(pod["spec"]["terminationGracePeriodSeconds"])
PY
)
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "$out" | sed 's/^/#   /'
		it_ok 1 "kubernetes/pgkv.yaml: Deployment, Service, probes"
	else
		it_ok 0 "kubernetes/pgkv.yaml: Deployment, Service, readinessProbe on /health?ready=1"
		grace=$(echo "$out" | tail -1)
		budget=$(drain_budget_ms "$TMP/k8s.conf")
		it_check "terminationGracePeriodSeconds (${grace}s) above the drain budget (${budget} ms)" \
			test $((grace * 1000)) -gt "$budget"
		it_check "the ConfigMap's pgkv.conf starts pgkv" conf_starts k8s "$TMP/k8s.conf"
	fi
else
	echo "# skip: python3 yaml is not installed; kubernetes/pgkv.yaml not checked"
fi
echo "# (no docker daemon and no Kubernetes API server here: images and manifests are not built or applied)"

it_summary
