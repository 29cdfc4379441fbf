#!/usr/bin/env bash
# Runs the `trl` tool from the source tree: build/trl.sh <command> [--field value ...]
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
dll="$ROOT/packages/Trl.Cli/bin/$CONFIGURATION/net10.0/trl.dll"
stamp="$ROOT/artifacts/trl-$CONFIGURATION.built"
# Build only when a source, project or embedded file changed since the last build (a no-op build still costs ~10 s).
if [ ! -f "$dll" ] || [ ! -f "$stamp" ] || [ -n "$(find packages eng Directory.Build.props Directory.Build.targets Directory.Packages.props -newer "$stamp" \
     \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -path '*/EmbeddedDefault/*' \) -not -path '*/obj/*' -not -path '*/bin/*' -print -quit)" ]; then
  touch "$stamp.new"
  log="$ROOT/artifacts/trl-build.log"
  dotnet build packages/Trl.Cli -c "$CONFIGURATION" --nologo -v quiet > "$log" 2>&1 || { grep -E "error|warn" "$log" | sort -u >&2; exit 1; }
  mv "$stamp.new" "$stamp"
fi
cd - >/dev/null
exec dotnet "$dll" "$@"
