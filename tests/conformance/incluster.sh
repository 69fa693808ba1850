#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs a command "in the cluster": in a private mount namespace where the
# projected ServiceAccount directory that mockapi's kubelet emulation keeps
# fresh is bind-mounted at /var/run/secrets/kubernetes.io/serviceaccount,
# with KUBERNETES_SERVICE_HOST=127.0.0.1 and KUBERNETES_SERVICE_PORT=PORT
# set and KUBECONFIG unset, as in a pod. Unmodified programs (the seed's
# scripts, kubectl, the Python and JavaScript clients) then read the real
# paths.
#
#   incluster.sh --check            exit 0 if it can run here, else print
#                                   "SKIP-REASON: ..." and exit 77
#   incluster.sh SA-DIR PORT CMD [ARG...]
#                                   run CMD; exit with CMD's status
#
# The host's own path is never touched:
#   - the mounts live only in the namespace (unshare -m --propagation
#     private: nothing propagates back, all go when CMD exits);
#   - when the path does not exist on the host, the nearest existing
#     ancestor (normally /run, since /var/run -> /run) is covered by an
#     overlay whose upper layer is a tmpfs private to the namespace, so the
#     mkdir -p of the missing directories lands in that tmpfs and not on the
#     host's disk; the host's entries under it stay visible (read through);
#   - the DIRECTORY is bind-mounted (not the files), so the kubelet's
#     ..data symlink swaps stay visible inside;
#   - the state of the host path is recorded before and compared after;
#     a difference is an error (exit 1), whatever CMD returned.
# Needs root (CAP_SYS_ADMIN) for unshare -m and mount; CI runs as root.
set -u
SA_PATH=/var/run/secrets/kubernetes.io/serviceaccount

# host_state: a fingerprint of the host's path and its parents.
host_state() {
	for p in /var/run/secrets /var/run/secrets/kubernetes.io "$SA_PATH"; do
		if [ -e "$p" ] || [ -L "$p" ]; then
			stat -c '%n %F %i %a %Y' "$p"
		else
			echo "$p absent"
		fi
	done
	if [ -d "$SA_PATH" ]; then
		ls -la --full-time "$SA_PATH/"
	fi
}

check() {
	if ! command -v unshare >/dev/null 2>&1; then
		echo "SKIP-REASON: unshare(1) is not installed"
		exit 77
	fi
	if ! err=$(unshare -m --propagation private true 2>&1); then
		echo "SKIP-REASON: unshare -m is not permitted here ($err)"
		exit 77
	fi
}

# inner SCRATCH SA-DIR CMD...: runs inside the new mount namespace.
inner() {
	scratch=$1
	sa=$2
	shift 2
	if [ ! -d "$SA_PATH" ]; then
		# Nearest existing ancestor, symlinks resolved.
		anc=$(dirname "$SA_PATH")
		while [ ! -d "$anc" ]; do
			anc=$(dirname "$anc")
		done
		anc=$(readlink -f "$anc")
		mount -n -t tmpfs -o mode=0700 incluster "$scratch" || exit 1
		mkdir "$scratch/upper" "$scratch/work" || exit 1
		if ! mount -n -t overlay incluster \
			-o "lowerdir=$anc,upperdir=$scratch/upper,workdir=$scratch/work" \
			"$anc" 2>"$scratch/overlay.err"; then
			# No overlayfs: a tmpfs of our own, never over /.
			if [ "$anc" = / ]; then
				echo "incluster: cannot overlay / ($(cat "$scratch/overlay.err"))" >&2
				exit 1
			fi
			mount -n -t tmpfs -o mode=0755 incluster "$anc" || exit 1
		fi
		mkdir -p "$SA_PATH" || exit 1
	fi
	mount -n --bind "$sa" "$SA_PATH" || exit 1
	exec "$@"
}

case "${1:-}" in
--check)
	check
	exit 0
	;;
--inner)
	shift
	inner "$@"
	;;
"" | -h | --help)
	sed -n '2,28p' "$0"
	exit 2
	;;
esac

if [ $# -lt 3 ]; then
	echo "usage: incluster.sh SA-DIR PORT CMD [ARG...]" >&2
	exit 2
fi
sa=$(readlink -f "$1")
port=$2
shift 2
if [ ! -f "$sa/token" ]; then
	echo "incluster: $sa has no token" >&2
	exit 1
fi
before=$(host_state)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/incluster-XXXXXX") || exit 1
env -u KUBECONFIG KUBERNETES_SERVICE_HOST=127.0.0.1 \
	KUBERNETES_SERVICE_PORT="$port" \
	unshare -m --propagation private sh "$0" --inner "$scratch" "$sa" "$@"
rc=$?
rmdir "$scratch"
after=$(host_state)
if [ "$before" != "$after" ]; then
	echo "incluster: the host's $SA_PATH changed:" >&2
	echo "before: $before" >&2
	echo "after:  $after" >&2
	exit 1
fi
exit $rc
