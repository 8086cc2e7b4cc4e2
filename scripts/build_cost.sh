#!/usr/bin/env bash
# Build cost of the `gateway` facade per feature set (issue 5, goal 5): a clean build of the
# library into its own target dir, timed, and the number of crates in its dependency tree.
# Fails if a finan-only build would compile oauth2 (only SePay's OAuth login needs it).
#
#   scripts/build_cost.sh            # debug builds (what `cargo build` of an app does)
#   PROFILE=release scripts/build_cost.sh
#
# Each build starts from an empty CARGO_TARGET_DIR under ${BUILD_COST_DIR:-/tmp/gateway-build-cost},
# removed again afterwards; crates must already be downloaded (or the network reachable).
set -euo pipefail

cd "$(dirname "$0")/.."
profile="${PROFILE:-dev}"
root="${BUILD_COST_DIR:-/tmp/gateway-build-cost}"
jobs="${JOBS:-$(nproc)}"

# Crates in the facade's normal + build dependency tree for these feature flags, each counted once
# (the facade and the workspace's own crates included).
crates() {
    cargo tree -p gateway -e normal,build --prefix none --format '{p}' "$@" | sed 's/ (\*)$//' | sort -u
}

echo "profile=$profile jobs=$jobs cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg) rustc=$(rustc --version | cut -d' ' -f2)"
printf '%-10s %10s %8s %9s %s\n' features build_s crates workspace oauth2
# The build dirs are large: removed on any exit, failed builds included.
trap 'rm -rf "$root"' EXIT
status=0
for set in finan sepay both; do
    case "$set" in
        finan) flags=(--no-default-features --features finan) ;;
        sepay) flags=(--no-default-features --features sepay) ;;
        both) flags=() ;;
    esac
    list="$(crates "${flags[@]}")"
    total=$(wc -l <<<"$list")
    own=$(grep -c '(/' <<<"$list" || true)
    if grep -q '^oauth2 ' <<<"$list"; then oauth=yes; else oauth=no; fi
    if [[ "$set" == finan && "$oauth" == yes ]]; then
        echo "FAIL: the finan-only tree contains oauth2" >&2
        status=1
    fi
    dir="$root/$set"
    rm -rf "$dir"
    start=$(date +%s.%N)
    CARGO_TARGET_DIR="$dir" cargo build -q -p gateway --lib --profile "$profile" -j "$jobs" "${flags[@]}"
    end=$(date +%s.%N)
    # Cross-check with what was actually compiled: no oauth2 artefact in a finan-only build.
    if [[ "$set" == finan ]] && compgen -G "$dir/*/deps/liboauth2-*" >/dev/null; then
        echo "FAIL: the finan-only build compiled oauth2" >&2
        status=1
    fi
    rm -rf "$dir"
    printf '%-10s %10.1f %8d %9d %s\n' "$set" "$(echo "$end - $start" | bc)" "$total" "$own" "$oauth"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
