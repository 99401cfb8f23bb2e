# Sourced by the scripts that run a pinned Python tool (cfn-lint, checkov, schemathesis): installs
# `<package>==<version>` from PyPI into the project venv .cache/venv unless that version is there.
# Usage: ensure_python_tool <package> <version>; then run "$venv/bin/<tool>".
venv=.cache/venv
ensure_python_tool() {
  local package=$1 version=$2
  local installed
  installed=$("$venv/bin/python" -c "import importlib.metadata as m; print(m.version('$package'))" 2>/dev/null)
  [ "$installed" = "$version" ] && return 0
  { [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"; } || { echo "$package: python3 -m venv failed (apt-get install python3-venv)" >&2; return 1; }
  "$venv/bin/pip" install -q --disable-pip-version-check "$package==$version" || { echo "$package: could not install $package $version" >&2; return 1; }
}
