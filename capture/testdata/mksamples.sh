#!/bin/sh
# mksamples.sh stores tshark's answers for the public sample captures in
# ../shared/captures (see SOURCES.txt there) as
# capture/testdata/samples/NAME.tshark.txt, the same tables as
# mkloopback.sh asks for, except the I/O table: one interval (io,stat,0),
# because some samples span months and tshark would print a row per second. Run it from the module root with tshark
# installed; TestTsharkTablesMatch reads them. The captures themselves are
# not copied.
set -eu
src=${1:-../shared/captures}
out=$(dirname "$0")/samples
mkdir -p "$out"
for f in "$src"/*.pcap "$src"/*.pcapng; do
	name=$(basename "$f")
	tshark -n -r "$f" -q -z io,phs \
		-z conv,eth -z conv,ip -z conv,ipv6 -z conv,tcp -z conv,udp \
		-z endpoints,eth -z endpoints,ip -z endpoints,ipv6 -z endpoints,tcp -z endpoints,udp \
		-z io,stat,0 -z http,tree -z http_req,tree -z http_srv,tree -z dns,tree >"$out/$name.tshark.txt" 2>/dev/null || echo "tshark failed on $name (kept what it printed)"
	echo "wrote $out/$name.tshark.txt"
done
