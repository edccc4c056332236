#!/usr/bin/env bash
# build-deb.sh: the Debian package of a node, from this repository.
#
#   deploy/package/build-deb.sh [OUTDIR]      # writes OUTDIR/postern_<version>_all.deb (default: target/)
#
# Needs the node's jar (built here when missing: mvn package, tests skipped), dpkg-deb, and
# asciidoctor for the man pages (Debian: apt-get install dpkg-dev asciidoctor). The package holds
# the launcher (/usr/bin/postern), the jar, the systemd unit, a man page per command (written by
# picocli from the commands' own annotations, so they cannot drift), bash completion, and the
# reference configuration as a conffile; its postinst makes the 'postern' system user and its
# state directory. It does not start the node: a relay needs its configuration first.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:-$root/target}"
jar="${POSTERN_JAR:-$root/services/node/target/postern.jar}"
if [ ! -f "$jar" ]; then
  echo "build-deb: $jar not found; building it (mvn package, tests skipped)..." >&2
  (cd "$root" && mvn -B -q -DskipTests package -pl services/node -am) >&2
fi
command -v dpkg-deb >/dev/null || { echo "build-deb: dpkg-deb is missing (apt-get install dpkg-dev)" >&2; exit 2; }
command -v asciidoctor >/dev/null || { echo "build-deb: asciidoctor is missing (apt-get install asciidoctor)" >&2; exit 2; }

version="$(java -jar "$jar" version | awk '{print $2; exit}')"
[ -n "$version" ] || { echo "build-deb: cannot read the version from $jar" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/postern"
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/postern" "$pkg/usr/share/man/man1" \
  "$pkg/usr/share/bash-completion/completions" "$pkg/lib/systemd/system" "$pkg/etc/postern" \
  "$pkg/usr/share/doc/postern"

install -m 0644 "$jar" "$pkg/usr/share/postern/postern.jar"
install -m 0755 "$root/deploy/postern" "$pkg/usr/share/postern/postern"
# /usr/bin/postern: the repository's launcher with the packaged jar. Found relative to itself, so
# an unpacked tree (dpkg-deb -x) runs as well as an installed one.
cat > "$pkg/usr/bin/postern" <<'WRAPPER'
#!/bin/sh
here="$(dirname "$(readlink -f "$0")")"
POSTERN_JAR="${POSTERN_JAR:-$here/../share/postern/postern.jar}"
export POSTERN_JAR
exec bash "$here/../share/postern/postern" "$@"
WRAPPER
chmod 0755 "$pkg/usr/bin/postern"

# The repository's unit, with the packaged launcher and a stand-alone node by default.
sed -e 's|^ExecStart=.*|ExecStart=/usr/bin/postern run --config /etc/postern/postern.conf|' \
    -e '/^    --cluster --cluster-config/d' \
    -e 's|^# A stand-alone node: drop --cluster and --cluster-config.|# A cluster node: add --cluster --cluster-config /etc/postern/cluster.conf (systemctl edit postern).|' \
    -e 's|^Documentation=.*|Documentation=man:postern(1) file:///usr/share/doc/postern/README.md|' \
    -e '/^# Install: /,/See deploy\/README.md\.$/c\# From the postern package: configuration in /etc/postern (keys mode 0600 owned by postern), state in /var/lib/postern.' \
    "$root/deploy/systemd/postern.service" > "$pkg/lib/systemd/system/postern.service"
chmod 0644 "$pkg/lib/systemd/system/postern.service"

install -m 0644 "$root/config/postern.conf" "$pkg/etc/postern/postern.conf"
install -m 0644 "$root/deploy/README.md" "$pkg/usr/share/doc/postern/README.md"
install -m 0644 "$root/config/README.md" "$pkg/usr/share/doc/postern/configuration.md"
install -m 0644 "$root/config/MIGRATING.md" "$pkg/usr/share/doc/postern/MIGRATING.md"

java -jar "$jar" generate-completion > "$pkg/usr/share/bash-completion/completions/postern"
chmod 0644 "$pkg/usr/share/bash-completion/completions/postern"

adoc="$stage/man"
java -jar "$jar" gen-manpage --outdir="$adoc" >/dev/null
asciidoctor -b manpage -a reproducible -D "$adoc" "$adoc"/*.adoc
for man in "$adoc"/*.1; do
  gzip -9n < "$man" > "$pkg/usr/share/man/man1/$(basename "$man").gz"
  chmod 0644 "$pkg/usr/share/man/man1/$(basename "$man").gz"
done

cat > "$pkg/DEBIAN/control" <<CONTROL
Package: postern
Version: $version
Architecture: all
Maintainer: Postern developers <postern@localhost>
Depends: openjdk-17-jre-headless | java17-runtime-headless, adduser
Section: mail
Priority: optional
Installed-Size: $(du -sk "$pkg" | cut -f1)
Description: reactive mail relay cluster with STARTTLS policy
 Postern relays mail over ESMTP with STARTTLS in both directions, sendmail's
 access-map and Postfix's TLS policy levels, a durable queue, and a Hazelcast
 cluster of nodes configured by signed pushes.
CONTROL
echo /etc/postern/postern.conf > "$pkg/DEBIAN/conffiles"

cat > "$pkg/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  if ! getent passwd postern >/dev/null; then
    adduser --system --group --home /var/lib/postern --no-create-home --shell /usr/sbin/nologin postern
  fi
  install -d -o postern -g postern -m 0700 /var/lib/postern
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
  fi
fi
POSTINST
cat > "$pkg/DEBIAN/postrm" <<'POSTRM'
#!/bin/sh
set -e
# The spool may hold mail: /var/lib/postern and the user stay, even on purge.
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
POSTRM
chmod 0755 "$pkg/DEBIAN/postinst" "$pkg/DEBIAN/postrm"

mkdir -p "$out"
deb="$out/postern_${version}_all.deb"
dpkg-deb --root-owner-group --build "$pkg" "$deb" >/dev/null
echo "$deb"
