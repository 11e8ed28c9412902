# Sourced by the scripts that need an antivirus: a ClamAV daemon (Debian's clamav-daemon) on a
# free port of 127.0.0.1, with a local signature database holding only the EICAR test file's
# hash — no signature is downloaded (never freshclam here): the tests need EICAR, nothing more.

# The EICAR test file's MD5, size and the name clamd reports it under (an .hdb hash signature).
EICAR_HDB='44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature'
# The largest stream the test clamd scans (4000M: clamd's ceiling for its size limits), above the
# hub's largest upload through its API in the tests and benchmarks; past it clamd answers
# "INSTREAM size limit exceeded", which the hub never takes for clean.
CLAMD_MAX_STREAM=4000M

# Installs Debian's clamav-daemon when clamd is missing (as root, or through sudo).
clamd_tools() {
    command -v clamd >/dev/null 2>&1 && return 0
    echo "Installing Debian's clamav-daemon for the antivirus tests"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clamav-daemon >/dev/null
    # On a machine run by systemd the package starts the system's clamd and freshclam (which
    # downloads signatures): the tests start their own clamd, and download nothing.
    if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
        $sudo systemctl disable --now clamav-freshclam.service clamav-daemon.service >/dev/null 2>&1 || true
    fi
}

# Starts clamd once on a free port of 127.0.0.1 with its own configuration, database and
# temporary directory, waits until it answers PING, exports HUBEE_CLAMD_ADDR (the hubs and the
# suites scan with it) and HUBEE_REQUIRE_CLAMD=1 (an antivirus test fails rather than skips
# without it), and stops it when the calling script exits (with moto, see start_moto).
start_clamd() {
    local port dir clamd
    clamd="$(command -v clamd || echo /usr/sbin/clamd)"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    dir="$(mktemp -d)"
    mkdir -p "$dir/db" "$dir/tmp"
    echo "$EICAR_HDB" >"$dir/db/eicar.hdb"
    cat >"$dir/clamd.conf" <<EOF
TCPSocket $port
TCPAddr 127.0.0.1
DatabaseDirectory $dir/db
TemporaryDirectory $dir/tmp
Foreground yes
LogFile $dir/clamd.log
LogTime yes
LogSyslog no
StreamMaxLength $CLAMD_MAX_STREAM
MaxFileSize $CLAMD_MAX_STREAM
MaxScanSize $CLAMD_MAX_STREAM
AlertExceedsMax yes
MaxThreads 8
EOF
    "$clamd" --config-file="$dir/clamd.conf" >"$dir/stdout.log" 2>&1 &
    CLAMD_PID=$!
    CLAMD_DIR="$dir"
    for _ in $(seq 1 300); do
        clamd_ping "$port" && break
        kill -0 "$CLAMD_PID" 2>/dev/null || break
        sleep 0.1
    done
    if ! clamd_ping "$port"; then
        cat "$dir/stdout.log" "$dir/clamd.log" 2>/dev/null
        echo "clamd did not start"
        return 1
    fi
    export HUBEE_CLAMD_ADDR="127.0.0.1:$port" HUBEE_REQUIRE_CLAMD=1
    echo "clamd listening on $HUBEE_CLAMD_ADDR (log: $dir/clamd.log)"
}

# Stops the clamd start_clamd started, and removes its directory.
stop_clamd() {
    [ -n "${CLAMD_PID:-}" ] && kill "$CLAMD_PID" 2>/dev/null || true
    [ -n "${CLAMD_DIR:-}" ] && rm -rf "$CLAMD_DIR" || true
}

# Whether clamd answers PING on 127.0.0.1:$1.
clamd_ping() {
    python3 - "$1" <<'EOF' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
s.sendall(b"zPING\0")
sys.exit(0 if s.recv(16).startswith(b"PONG") else 1)
EOF
}
