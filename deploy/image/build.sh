#!/bin/sh
# deploy/image/build.sh BINARY OUTPUT_LAYOUT_DIR
#
# A container image of freightliner built FROM scratch with buildah, written as an OCI image
# layout with two names: the version (read from Sources/FreightCore/Support/FreightVersion.swift)
# and `latest`. The image holds the binary (stripped as the .deb ships it), exactly the shared
# libraries `ldd BINARY` resolves and the dynamic loader, each a real file at the path the loader
# looks up, the CA bundle libcurl reads by default, the themes where the installed binary looks
# for them (/usr/share/freightliner/themes), the Debian copyright files of those libraries (they
# are redistributed), and a home directory for user 65532. No shell, no package manager.
#
# buildah runs with the vfs driver and a private --root/--runroot in a temporary directory that
# is removed at the end, inside a private mount namespace where root's blob-info cache
# (/var/lib/containers/cache, shared by buildah and skopeo) is an empty directory of this build's
# own. The image's created time and every file time are the last commit's (SOURCE_DATE_EPOCH
# wins), so the same binary gives the same image digest. Needs root.
set -eu

usage() {
    echo "usage: $0 BINARY OUTPUT_LAYOUT_DIR" >&2
    exit 64
}
die() {
    echo "build.sh: $*" >&2
    exit 2
}

[ $# -eq 2 ] || usage
binary=$1
output=$2
[ -f "$binary" ] && [ -x "$binary" ] || die "$binary: no executable there (make build makes .build/release/freightliner)"
[ "$(id -u)" = 0 ] || die "needs root: buildah's vfs storage and a private mount namespace"
for tool in buildah ldd strip unshare mount; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (make deps installs it)"
done
if [ -e "$output" ] && [ ! -f "$output/oci-layout" ]; then
    die "$output exists and is not an OCI image layout: give a new directory"
fi

if [ "${FREIGHTLINER_IMAGE_NAMESPACE:-}" != private ]; then
    FREIGHTLINER_IMAGE_NAMESPACE=private exec unshare --mount --propagation private sh "$0" "$@"
fi

umask 022
source_root=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n 's/.*current = "\([^"]*\)".*/\1/p' "$source_root/Sources/FreightCore/Support/FreightVersion.swift")
[ -n "$version" ] || die "no version in $source_root/Sources/FreightCore/Support/FreightVersion.swift"
# The binary says which version and commit it was built from; the tree may have moved on since.
built=$("$binary" --version 2>/dev/null || true)
case $built in
"freightliner $version "*) ;;
"") ;;
*) die "$binary is ${built#freightliner }, the source tree says $version: rebuild it (make build)" ;;
esac
revision=$(printf '%s\n' "$built" | sed -n 's/.*(commit \([^,)]*\).*/\1/p')
[ -n "$revision" ] || revision=$(git -C "$source_root" rev-parse HEAD 2>/dev/null || echo unknown)
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$source_root" log -1 --format=%ct 2>/dev/null || date +%s)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
image_source=${FREIGHTLINER_IMAGE_SOURCE:-$(git -C "$source_root" remote get-url origin 2>/dev/null || true)}

work=$(mktemp -d "${TMPDIR:-/tmp}/freightliner-image.XXXXXX")
cleanup() {
    status=$?
    umount /var/lib/containers/cache 2>/dev/null || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

buildah_() {
    buildah --root "$work/storage" --runroot "$work/run" --storage-driver vfs "$@"
}

mkdir -p "$work/cache" /var/lib/containers/cache
mount --bind "$work/cache" /var/lib/containers/cache

# The file system, staged.
rootfs=$work/rootfs
install -D -m 0755 "$binary" "$rootfs/usr/bin/freightliner"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$rootfs/usr/bin/freightliner"

libraries=$(ldd "$binary") || die "ldd $binary failed: $libraries"
case $libraries in
*"not found"*) die "ldd $binary: a library is missing on this host: $libraries" ;;
esac
# `NAME => /PATH (ADDRESS)` for a library, `/PATH (ADDRESS)` for the loader; linux-vdso is in
# the kernel. Each is copied as the real file it resolves to, at the path ldd printed.
for library in $(printf '%s\n' "$libraries" | awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// { print $1 }'); do
    mkdir -p "$rootfs$(dirname "$library")"
    cp -L "$library" "$rootfs$library"
    if command -v dpkg >/dev/null 2>&1; then
        package=$(dpkg -S "$library" 2>/dev/null || dpkg -S "$(readlink -f "$library")" 2>/dev/null) \
            || die "$library: no Debian package owns it, so its copyright file is unknown"
        package=${package%%:*}
        if [ ! -e "$rootfs/usr/share/doc/$package/copyright" ]; then
            mkdir -p "$rootfs/usr/share/doc/$package"
            cp -L "/usr/share/doc/$package/copyright" "$rootfs/usr/share/doc/$package/copyright"
        fi
    fi
done
install -D -m 0644 "$source_root/deploy/debian/copyright" "$rootfs/usr/share/doc/freightliner/copyright"

# libcurl's built-in CA file on Debian (`curl-config --ca`), so no SSL_CERT_FILE is needed.
[ -f /etc/ssl/certs/ca-certificates.crt ] || die "/etc/ssl/certs/ca-certificates.crt is missing: apt-get install ca-certificates"
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"

# Without it glibc asks DNS before /etc/hosts, so a pod's hostAliases (written into /etc/hosts)
# would be used only when DNS fails.
install -d "$rootfs/etc"
printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
chmod 0644 "$rootfs/etc/nsswitch.conf"

install -d "$rootfs/usr/share/freightliner/themes"
install -m 0644 "$source_root"/themes/*.theme "$rootfs/usr/share/freightliner/themes/"

# HOME and the working directory: the default checkpoint directory lives under it, so a plain
# `docker run` can save a run there (Kubernetes mounts a volume over it).
install -d -m 0700 -o 65532 -g 65532 "$rootfs/var/lib/freightliner"

# The image.
container=$(buildah_ from --quiet scratch)
mountpoint=$(buildah_ mount "$container")
cp -a "$rootfs/." "$mountpoint/"
buildah_ umount "$container" >/dev/null
set -- --label org.opencontainers.image.title=freightliner \
    --label "org.opencontainers.image.description=Replicate container images between OCI registries and image layouts" \
    --label "org.opencontainers.image.version=$version" \
    --label "org.opencontainers.image.revision=$revision" \
    --label "org.opencontainers.image.created=$created" \
    --label org.opencontainers.image.licenses=Apache-2.0
if [ -n "$image_source" ]; then set -- "$@" --label "org.opencontainers.image.source=$image_source"; fi
buildah_ config "$@" \
    --os linux \
    --entrypoint '["/usr/bin/freightliner"]' \
    --cmd '["--help"]' \
    --user 65532:65532 \
    --env HOME=/var/lib/freightliner \
    --workingdir /var/lib/freightliner \
    --created-by "deploy/image/build.sh: freightliner $version, its libraries, CA bundle and themes" \
    "$container"
buildah_ commit --quiet --format oci --timestamp "$epoch" --identity-label=false "$container" "localhost/freightliner:$version" >/dev/null
for name in "$version" latest; do
    buildah_ push --quiet --format oci "localhost/freightliner:$version" "oci:$output:$name"
done
echo "$output: freightliner:$version and freightliner:latest ($created, $(du -sh "$output" | cut -f1))"
