#!/usr/bin/env bash
# Builds waltool's release tarballs into dist/ (which it empties first):
#
#   scripts/release.sh [--dry-run] [--allow-dirty] [--arch amd64|arm64]... VERSION
#
# For each arch (default: amd64 and arm64), a static Linux binary (CGO_ENABLED=0,
# -trimpath, VERSION and the commit stamped: `waltool --version` names them)
# with its man page (waltool.1), its bash, zsh and fish completion scripts, the
# README and docs/, as dist/waltool-VERSION-linux-ARCH.tar.gz; then
# dist/SHA256SUMS. The tarballs are reproducible: same commit, same Go, same bytes.
#
#   --dry-run      print the commands instead of running them
#   --allow-dirty  build a work tree with uncommitted changes (stamped COMMIT-dirty)
#   --arch ARCH    build only this arch (repeatable)
#
# Needs Go, git, GNU tar, gzip and sha256sum.
set -euo pipefail

usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; }
die() {
	echo "release.sh: $*" >&2
	exit 2
}

dry=0 allow_dirty=0 version="" arches=()
while (($#)); do
	case $1 in
	--dry-run) dry=1 ;;
	--allow-dirty) allow_dirty=1 ;;
	--arch)
		(($# > 1)) || die "--arch needs a value: amd64 or arm64"
		arches+=("$2")
		shift
		;;
	--arch=*) arches+=("${1#--arch=}") ;;
	-h | --help)
		usage
		exit 0
		;;
	-*) die "unknown flag $1 (see --help)" ;;
	*)
		[[ -z $version ]] || die "one VERSION only, not $version and $1"
		version=$1
		;;
	esac
	shift
done
[[ -n $version ]] || {
	usage >&2
	exit 2
}
[[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
	die "VERSION is a semantic version with its v: v0.4.0, v0.4.0-rc.1; not $version"
((${#arches[@]})) || arches=(amd64 arm64)
for a in "${arches[@]}"; do
	[[ $a == amd64 || $a == arm64 ]] || die "unsupported arch $a: amd64 or arm64"
done

cd "$(dirname "$0")/.."
git rev-parse --git-dir >/dev/null 2>&1 || die "not in a git work tree: the commit to stamp is unknown"
commit=$(git rev-parse --short=12 HEAD)
if [[ -n $(git status --porcelain) ]]; then
	((allow_dirty)) || die "the work tree has uncommitted changes or untracked files: commit them (or --allow-dirty)"
	commit+=-dirty
fi
if tagged=$(git rev-parse -q --verify "refs/tags/$version^{commit}"); then
	[[ $tagged == "$(git rev-parse HEAD)" ]] || die "tag $version is commit $tagged, not HEAD"
fi
epoch=$(git log -1 --format=%ct) # the files' time in the tarballs: the commit's
ldflags="-s -w -X main.releaseVersion=$version -X main.releaseCommit=$commit"

# run runs a command, or prints it with --dry-run; into runs one with its
# output into a file.
run() {
	if ((dry)); then
		printf '%q ' "$@"
		echo
	else
		"$@"
	fi
}
into() {
	local file=$1
	shift
	if ((dry)); then
		printf '%q ' "$@"
		printf '> %q\n' "$file"
	else
		"$@" >"$file"
	fi
}

dist=dist
stage=$dist/.stage
run rm -rf "$dist"
run mkdir -p "$stage"

# The binaries; one this machine runs writes the man page and completions.
read -r hostos hostarch < <(go env GOHOSTOS GOHOSTARCH | xargs)
runner=""
for a in "${arches[@]}"; do
	dir=$stage/waltool-$version-linux-$a
	run mkdir -p "$dir/completion" "$dir/docs"
	run env CGO_ENABLED=0 GOOS=linux GOARCH="$a" go build -trimpath -ldflags "$ldflags" -o "$dir/waltool" ./cmd/waltool
	if [[ $hostos/$hostarch == linux/"$a" ]]; then
		runner=$dir/waltool
	fi
done
if [[ -z $runner ]]; then
	runner=$stage/host/waltool
	run env CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$runner" ./cmd/waltool
fi
if ((!dry)); then
	got=$("$runner" --version)
	[[ $got == "waltool $version (commit $commit, "* ]] || die "the binary says \"$got\", not $version and $commit"
	echo "$got"
fi

for a in "${arches[@]}"; do
	name=waltool-$version-linux-$a
	dir=$stage/$name
	if ((!dry)); then
		go version -m "$dir/waltool" | grep -q 'CGO_ENABLED=0' || die "$dir/waltool is not a static (CGO_ENABLED=0) build"
	fi
	into "$dir/waltool.1" "$runner" man
	into "$dir/completion/waltool.bash" "$runner" completion bash
	into "$dir/completion/_waltool" "$runner" completion zsh
	into "$dir/completion/waltool.fish" "$runner" completion fish
	run cp README.md "$dir/"
	run cp docs/*.md "$dir/docs/"
	run mkdir -p "$dir/schema/v1"
	run cp schema/v1/*.json "$dir/schema/v1/"
	tarball=(tar --sort=name --owner=0 --group=0 --numeric-owner --mode=u+rwX,go+rX,go-w --mtime="@$epoch" -C "$stage" -cf - "$name")
	if ((dry)); then
		echo "${tarball[*]} | gzip -9n > $dist/$name.tar.gz"
	else
		"${tarball[@]}" | gzip -9n >"$dist/$name.tar.gz"
	fi
done
run rm -rf "$stage"
if ((dry)); then
	echo "(cd $dist && sha256sum waltool-$version-linux-*.tar.gz > SHA256SUMS)"
else
	(cd "$dist" && sha256sum "waltool-$version-linux-"*.tar.gz >SHA256SUMS)
	cat "$dist/SHA256SUMS"
fi
if [[ $commit != *-dirty ]] && ! git rev-parse -q --verify "refs/tags/$version" >/dev/null; then
	echo "release.sh: commit $commit is not tagged $version yet: git tag -a $version -m $version $commit" >&2
fi
