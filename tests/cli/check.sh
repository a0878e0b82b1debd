# Sourced by the shell tests: a temporary folder ($tmp, removed at exit) and
# check NAME CONDITION..., which counts and names what fails; `checked` ends
# the test with the counts (its status: whether all passed).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() {
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name" >&2; fi
}
checked() {
  echo "# $passed passed, $failed failed"
  [ "$failed" = 0 ]
}
