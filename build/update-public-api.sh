#!/usr/bin/env bash
# Records new public API of the stable packages into PublicAPI.Unshipped.txt (what the IDE's RS0016 code fix
# does), so a reviewer sees every API change as a diff. Usage: build/update-public-api.sh [project-dir...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
  mapfile -t dirs < <(grep -l '<TrlStage>Stable</TrlStage>' packages/*/*.csproj | xargs -n1 dirname)
fi
for dir in "${dirs[@]}"; do
  unshipped="$dir/PublicAPI.Unshipped.txt"
  [ -f "$dir/PublicAPI.Shipped.txt" ] || echo '#nullable enable' > "$dir/PublicAPI.Shipped.txt"
  [ -s "$unshipped" ] || echo '#nullable enable' > "$unshipped"
  for _ in 1 2 3; do
    # Only this project's diagnostics: a build also compiles (and reports) the projects it references.
    log=$(dotnet build "$dir" -c Release --no-incremental -p:TreatWarningsAsErrors=false -p:WarningsAsErrors=RS0016 2>&1 | grep -F "$(cd "$dir" && pwd)/$(basename "$dir").csproj]" || true)
    new=$(printf '%s\n' "$log" | grep -oP "RS0016: Symbol '\K.*?(?=' is not part of the declared public API)" | sort -u || true)
    # Unshipped entries that no longer exist are dropped; a removed Shipped entry stays an error (a breaking change).
    gone=$(printf '%s\n' "$log" | grep "PublicAPI.Unshipped.txt" | grep -oP "RS0017: Symbol '\K.*?(?=' is part of the declared API)" | sort -u || true)
    [ -z "$new" ] && [ -z "$gone" ] && break
    if [ -n "$gone" ]; then grep -vxF -f <(printf '%s\n' "$gone") "$unshipped" > "$unshipped.tmp" || true; mv "$unshipped.tmp" "$unshipped"; fi
    { cat "$unshipped"; printf '%s\n' "$new"; } | grep -v '^#nullable enable$' | sort -u | { echo '#nullable enable'; cat; } > "$unshipped.tmp"
    mv "$unshipped.tmp" "$unshipped"
  done
  echo "$unshipped: $(($(wc -l < "$unshipped") - 1)) entries"
done
