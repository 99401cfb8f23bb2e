#!/usr/bin/env bash
# `npm run lint:checkov`: checkov (pinned, from PyPI, in the project venv .cache/venv, beside
# cfn-lint) on both synthesized targets, with the reviewed skips of infra/checkov.yaml. Any other
# failed check fails the run. Synthesizes a missing template. Prints `checkov: <p> passed, <f> failed` and how many reviewed checks it skipped.
set -uo pipefail
cd "$(dirname "$0")/../.."
. infra/scripts/python-tool.sh
ensure_python_tool checkov 3.3.30 || exit 1
args=()
for target in aws localstack; do
  template=cdk.out/$target/EcomSync.template.json
  if [ ! -f "$template" ]; then
    npx cdk synth -c target="$target" -o "cdk.out/$target" --quiet >/dev/null || { echo "checkov: cdk synth -c target=$target failed" >&2; exit 1; }
  fi
  args+=(-f "$template")
done
report=$("$venv/bin/checkov" --config-file infra/checkov.yaml "${args[@]}" -o json)
status=$?
summary=$(python3 -c '
import json, sys
runs = json.loads(sys.stdin.read())
runs = runs if isinstance(runs, list) else [runs]
total = {key: sum(run["summary"][key] for run in runs) for key in ("passed", "failed", "skipped")}
for run in runs:
    for check in run["results"]["failed_checks"]:
        print("FAILED", check["check_id"], check["resource"], "(" + check["check_name"] + ")")
print("checkov: {passed} passed, {failed} failed".format(**total))
' <<<"$report") || { echo "checkov: could not read its report" >&2; exit 1; }
echo "$summary (reviewed skips: $(grep -c '^  - CKV_' infra/checkov.yaml) checks, infra/checkov.yaml)"
exit "$status"
