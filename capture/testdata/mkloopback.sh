#!/bin/sh
# mkloopback.sh regenerates the loopback captures in this directory and
# tshark's answers beside them. Run it from the module root, as root (dumpcap
# on lo), with tshark (dumpcap), curl and Go installed:
#
#	sudo sh capture/testdata/mkloopback.sh
#
# For each capture NAME it writes NAME.pcapng (frames of our ports only, so
# other traffic on lo stays out) and NAME.tshark.txt: the output of
#
#	tshark -n -r NAME.pcapng -q -z io,phs -z conv,eth -z conv,ip -z conv,ipv6
#	       -z conv,tcp -z conv,udp -z endpoints,... -z io,stat,1 -z http,tree
#	       -z http_req,tree -z http_srv,tree -z dns,tree
#
# "sh capture/testdata/mkloopback.sh answers" only asks tshark again about
# the captures already there (after a tshark upgrade, or for a new table).
#
# which TestTsharkTablesMatch compares with capture's tables.
# The capture's timestamps and ephemeral ports change on every run, so the
# tests read the expected figures from the .tshark.txt files and never
# from constants.
set -eu
here=$(dirname "$0")

answers() { # answers NAME: tshark's tables for NAME.pcapng
	tshark -n -r "$here/$1.pcapng" -q -z io,phs \
		-z conv,eth -z conv,ip -z conv,ipv6 -z conv,tcp -z conv,udp \
		-z endpoints,eth -z endpoints,ip -z endpoints,ipv6 -z endpoints,tcp -z endpoints,udp \
		-z io,stat,1 -z http,tree -z http_req,tree -z http_srv,tree -z dns,tree >"$here/$1.tshark.txt"
}

if [ "${1:-}" = answers ]; then
	answers loop_http_dns
	answers loop_tls
	exit 0
fi

go build -o /tmp/netlab-loopgen ./capture/testdata/loopgen

capture() { # capture NAME FILTER ARGS...: run loopgen under dumpcap
	name=$1 filter=$2
	shift 2
	out="$here/$name.pcapng"
	rm -f "$out"
	dumpcap -q -i lo -f "$filter" -w "$out" 2>/tmp/netlab-dumpcap.log &
	dc=$!
	# Wait until dumpcap has the interface open: it creates the file then.
	i=0
	while [ ! -s "$out" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	/tmp/netlab-loopgen "$@"
	sleep 0.5 # let the last segments (FIN/ACK) reach the capture
	kill -INT $dc
	wait $dc || true
	answers "$name"
	echo "wrote $out ($(wc -c <"$out") bytes) and $name.tshark.txt"
}

capture loop_http_dns "tcp port 8931 or port 53" -mode http -http-port 8931 -dns 127.0.1.53:53
capture loop_tls "tcp port 443 or tcp port 9443" -mode tls -tls-port 443 -tls-odd 9443
