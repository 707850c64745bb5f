# Sourced by the bench scripts: builds ZmqGame projects in Release into one artifacts folder.
# Needs ROOT (the repository) and ART (the artifacts folder) set by the caller.

# build_release PROJECT...: builds each project folder (relative to ROOT); exits 1 naming the first that fails.
build_release() {
  echo "== build ZmqGame (Release) into $ART"
  local proj
  for proj in "$@"; do
    dotnet build "$ROOT/$proj" -c Release --artifacts-path "$ART" -nologo -v q >/dev/null || { echo "build of $proj failed" >&2; exit 1; }
  done
}
