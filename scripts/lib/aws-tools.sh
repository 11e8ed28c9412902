# Sourced by the scripts that need the AWS tooling: a virtualenv outside the clone with the
# pinned packages of scripts/requirements-aws.txt, and a moto server on 127.0.0.1.

HUBEE_TOOLS_DIR="${HUBEE_TOOLS_DIR:-$HOME/.cache/hubee/tools}"
AWS_VENV="$HUBEE_TOOLS_DIR/venv"

# Creates or updates the virtualenv when the requirements changed, and puts it on PATH.
aws_tools() {
    local requirements stamp
    requirements="$(dirname "${BASH_SOURCE[0]}")/../requirements-aws.txt"
    stamp="$AWS_VENV/.requirements"
    if ! cmp -s "$requirements" "$stamp" 2>/dev/null; then
        echo "Installing the AWS tooling into $AWS_VENV"
        python3 -m venv "$AWS_VENV"
        "$AWS_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
        cp "$requirements" "$stamp"
    fi
    export PATH="$AWS_VENV/bin:$PATH"
    export SAM_CLI_TELEMETRY=0
}

# Starts a moto server on a free port of 127.0.0.1, exports the SDK's settings for it and
# stops it when the calling script exits. Dummy credentials: moto accepts any.
start_moto() {
    local port log
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    log="$(mktemp)"
    # moto's server with its DynamoDB requests one at a time (moto_server.py says why).
    "$AWS_VENV/bin/python" "$(dirname "${BASH_SOURCE[0]}")/moto_server.py" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
    MOTO_PID=$!
    trap 'kill "$MOTO_PID" 2>/dev/null || true' EXIT
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/moto-api/data.json" >/dev/null && break
        sleep 0.1
    done
    curl -sf "http://127.0.0.1:$port/moto-api/data.json" >/dev/null || { cat "$log"; echo "moto did not start"; return 1; }
    export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
    export AWS_REGION="${AWS_REGION:-eu-west-3}"
    export AWS_ACCESS_KEY_ID=moto AWS_SECRET_ACCESS_KEY=moto
    unset AWS_PROFILE AWS_SESSION_TOKEN
    echo "moto listening on $AWS_ENDPOINT_URL"
}

# Wipes the moto server's state between suites: its state dump (/moto-api/data.json, where the
# suites read the e-mails SES accepted) fails once the server has seen a multipart upload
# (moto 5.2.5).
reset_moto() {
    curl -sf -X POST "$AWS_ENDPOINT_URL/moto-api/reset" >/dev/null
}
