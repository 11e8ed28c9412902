# Sourced by the scripts whose tests sign agents in with ProConnect: a real OpenID provider
# (panva's oidc-provider, tests/oidc-provider/) standing in for ProConnect on a free port of
# 127.0.0.1, with ProConnect's claims, acr values and fictional test users. Test-only: it
# accepts any loopback port for the registered redirect paths (tests/oidc-provider/README.md).

PROCONNECT_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tests/oidc-provider" && pwd)"
# The hub's callback and post-logout paths; any loopback port is accepted on these paths.
PROCONNECT_DEFAULT_REDIRECT_URIS="http://127.0.0.1/portail/v1/proconnect/callback,http://localhost/portail/v1/proconnect/callback"
PROCONNECT_DEFAULT_POST_LOGOUT_REDIRECT_URIS="http://127.0.0.1/connexion,http://localhost/connexion"

# Installs the provider's npm packages (exact versions, package-lock.json) when missing or older
# than the lock file.
proconnect_tools() {
    command -v node >/dev/null 2>&1 || { echo "node (20 or newer) is required for the ProConnect stand-in"; return 1; }
    if [ ! -f "$PROCONNECT_HOME/node_modules/.package-lock.json" ] \
        || [ "$PROCONNECT_HOME/package-lock.json" -nt "$PROCONNECT_HOME/node_modules/.package-lock.json" ]; then
        (cd "$PROCONNECT_HOME" && npm ci --no-audit --no-fund >/dev/null) || { echo "npm ci failed in $PROCONNECT_HOME"; return 1; }
    fi
}

# Starts the provider on a free port of 127.0.0.1 and waits until its discovery document
# answers. Redirect URIs come from the arguments (comma-separated lists: redirect URIs, then
# post-logout redirect URIs), else from PROCONNECT_REDIRECT_URIS and
# PROCONNECT_POST_LOGOUT_REDIRECT_URIS, else the hub's paths above. The client id and secret are
# HUBEE_TEST_PROCONNECT_CLIENT_ID and HUBEE_TEST_PROCONNECT_CLIENT_SECRET when set, else
# generated. Exports HUBEE_TEST_PROCONNECT_ISSUER, HUBEE_TEST_PROCONNECT_CLIENT_ID and
# HUBEE_TEST_PROCONNECT_CLIENT_SECRET; the caller stops it with stop_proconnect (e.g. in its
# EXIT trap).
start_proconnect() {
    local redirect_uris="${1:-${PROCONNECT_REDIRECT_URIS:-$PROCONNECT_DEFAULT_REDIRECT_URIS}}"
    local post_logout_uris="${2:-${PROCONNECT_POST_LOGOUT_REDIRECT_URIS:-$PROCONNECT_DEFAULT_POST_LOGOUT_REDIRECT_URIS}}"
    local client_id="${HUBEE_TEST_PROCONNECT_CLIENT_ID:-hubee-test}"
    local client_secret="${HUBEE_TEST_PROCONNECT_CLIENT_SECRET:-}"
    local dir issuer=""
    [ -n "$client_secret" ] || client_secret="$(node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("base64url"))')"
    dir="$(mktemp -d)"
    PORT=0 CLIENT_ID="$client_id" CLIENT_SECRET="$client_secret" \
        REDIRECT_URIS="$redirect_uris" POST_LOGOUT_REDIRECT_URIS="$post_logout_uris" \
        node "$PROCONNECT_HOME/provider.mjs" >"$dir/stdout.log" 2>"$dir/provider.log" &
    PROCONNECT_PID=$!
    PROCONNECT_DIR="$dir"
    for _ in $(seq 1 300); do
        issuer="$(sed -n 's/^ISSUER=//p' "$dir/stdout.log")"
        [ -n "$issuer" ] && proconnect_ping "$issuer" && break
        kill -0 "$PROCONNECT_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$issuer" ] || ! proconnect_ping "$issuer"; then
        cat "$dir/stdout.log" "$dir/provider.log" 2>/dev/null
        echo "the ProConnect stand-in did not start"
        return 1
    fi
    export HUBEE_TEST_PROCONNECT_ISSUER="$issuer"
    export HUBEE_TEST_PROCONNECT_CLIENT_ID="$client_id"
    export HUBEE_TEST_PROCONNECT_CLIENT_SECRET="$client_secret"
    echo "ProConnect stand-in at $issuer (log: $dir/provider.log)"
}

# Stops the provider start_proconnect started (SIGTERM: it closes its server and exits), and
# removes its directory.
stop_proconnect() {
    if [ -n "${PROCONNECT_PID:-}" ]; then
        kill "$PROCONNECT_PID" 2>/dev/null || true
        wait "$PROCONNECT_PID" 2>/dev/null || true
        PROCONNECT_PID=""
    fi
    if [ -n "${PROCONNECT_DIR:-}" ]; then
        rm -rf "$PROCONNECT_DIR"
        PROCONNECT_DIR=""
    fi
}

# Whether the discovery document at issuer $1 answers with that issuer.
proconnect_ping() {
    # shellcheck disable=SC2016 # JavaScript, not shell, expands ${issuer}
    node -e '
const issuer = process.argv[1];
fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(1000) })
  .then((res) => (res.ok ? res.json() : {}))
  .then((doc) => process.exit(doc.issuer === issuer ? 0 : 1), () => process.exit(1));
' "$1" 2>/dev/null
}
