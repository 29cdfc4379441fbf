# Sourced by the build scripts: repo root, configuration, and the .NET SDK (installed on first use).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIGURATION="${CONFIGURATION:-Release}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! command -v dotnet >/dev/null 2>&1; then
  if [ -x "$HOME/.dotnet/dotnet" ]; then
    export PATH="$HOME/.dotnet:$PATH"
  else
    # A fresh machine: install the .NET 10 SDK for this user with Microsoft's official script.
    echo "The .NET SDK was not found: installing .NET 10 into ~/.dotnet" >&2
    if ! command -v curl >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq curl ca-certificates libicu72 >/dev/null; fi
    curl -sSL https://dot.net/v1/dotnet-install.sh | bash -s -- --channel 10.0 --install-dir "$HOME/.dotnet" >&2
    export PATH="$HOME/.dotnet:$PATH"
  fi
fi
# The local package feed named in NuGet.config must exist even before the first pack.
mkdir -p "$ROOT/artifacts/packages"
