#!/usr/bin/env bash
# `npm run lint:cfn`: cfn-lint (pinned, from PyPI, in the project venv .cache/venv) on both
# synthesized targets. Errors fail the run; warnings are printed and counted (today only W3005,
# the explicit DependsOn CDK writes next to a GetAtt). Synthesizes a target whose template is
# missing; `npm run lint:cfn -- --synth` re-synthesizes both. Prints `cfn-lint: <e> errors, <w> warnings`.
set -uo pipefail
cd "$(dirname "$0")/../.."
. infra/scripts/python-tool.sh
ensure_python_tool cfn-lint 1.58.0 || exit 1
templates=()
for target in aws localstack; do
  template=cdk.out/$target/EcomSync.template.json
  if [ "${1:-}" = "--synth" ] || [ ! -f "$template" ]; then
    npx cdk synth -c target="$target" -o "cdk.out/$target" --quiet >/dev/null || { echo "cfn-lint: cdk synth -c target=$target failed" >&2; exit 1; }
  fi
  templates+=("$template")
done
out=$("$venv/bin/cfn-lint" --format parseable --non-zero-exit-code error -- "${templates[@]}")
status=$?
[ -n "$out" ] && echo "$out"
errors=$(grep -c ':E[0-9]' <<<"$out")
warnings=$(grep -c ':W[0-9]' <<<"$out")
echo "cfn-lint: $errors errors, $warnings warnings (${templates[*]})"
exit "$status"
