# shellcheck shell=bash
# Sourced by the cluster tests (from the repository's root).
#
# docs/distributed.md shows the job files of examples/ verbatim, and
# doc_shows holds it to that. A shown file is introduced by a line naming it
# in backticks and ending with a colon, followed by one fenced code block.

# doc_block DOC NAME: prints the fenced block that follows the first line of
# DOC naming `NAME` and ending with ':' (nothing when there is none).
doc_block() {
  awk -v name="\`$2\`" '
    state == 0 && index($0, name) && /:$/ { state = 1; next }
    state == 1 && /^```/ { state = 2; next }
    state == 1 && NF { exit }
    state == 2 && /^```$/ { exit }
    state == 2 { print }
  ' "$1"
}

# doc_shows DOC FILE: fails, with the difference, unless DOC shows FILE
# byte for byte.
doc_shows() {
  if ! diff -u --label "$1 (block after \`$2\`:)" --label "$2" \
    <(doc_block "$1" "$2") "$2"; then
    echo "error: $1 does not show $2 verbatim (diff above)" >&2
    return 1
  fi
}

# cascade_binary [PATH]: prints the absolute path of the cascade binary the
# test runs: PATH when given, else target/release/cascade, built first.
cascade_binary() {
  if [[ $# -ge 1 ]]; then
    realpath "$1"
  else
    cargo build --release --quiet --bin cascade >&2
    realpath target/release/cascade
  fi
}
