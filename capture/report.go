package capture

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// StatTrees returns the application statistics that saw at least one
// message: -z http,tree, http_req,tree, http_srv,tree and dns,tree, then
// netlab's own: DNS queries by name and
// response code, TLS ClientHellos by server name (SNI) and ALPN.
func (a *Analyzer) StatTrees() []*StatTree {
	var out []*StatTree
	for _, t := range []*StatTree{&a.apps.httpPackets, &a.apps.httpRequests, &a.apps.httpServers, &a.apps.dns, &a.apps.dnsNames, &a.apps.tls} {
		if len(t.Roots) > 0 && t.Roots[0].Count > 0 || t == &a.apps.dns && len(t.Roots) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// StatTree returns one application statistic by tshark's name ("http",
// "http_req", "http_srv", "dns") or netlab's ("dns_names", "tls"); nil when no message
// of it was seen.
func (a *Analyzer) StatTree(name string) *StatTree {
	t := map[string]*StatTree{"http": &a.apps.httpPackets, "http_req": &a.apps.httpRequests, "http_srv": &a.apps.httpServers, "dns": &a.apps.dns,
		"dns_names": &a.apps.dnsNames, "tls": &a.apps.tls}[name]
	if t == nil || len(t.Roots) == 0 {
		return nil
	}
	return t
}

// Report is every table of an [Analyzer], ready for encoding/json.
type Report struct {
	Summary       Summary
	Hierarchy     *Node
	Conversations map[string][]Conversation
	Endpoints     map[string][]Endpoint
	Interval      string
	IO            []IOInterval
	Trees         []*StatTree
}

// Report collects every table.
func (a *Analyzer) Report() Report {
	r := Report{Summary: a.Summary(), Hierarchy: a.hier.Root(), Conversations: map[string][]Conversation{},
		Endpoints: map[string][]Endpoint{}, Interval: a.cfg.Interval.String(), IO: a.IOStats(), Trees: a.StatTrees()}
	for _, k := range ConvKinds() {
		r.Conversations[k.String()] = a.Conversations(k)
		r.Endpoints[k.String()] = a.Endpoints(k)
	}
	return r
}

// WriteJSON writes the [Report] as indented JSON.
func (a *Analyzer) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(a.Report())
}

// WriteCSV writes every table as CSV rows whose first column names the
// table ("phs", "conv,ip", "endpoints,tcp", "io,stat", "http", "dns", ...),
// so that one file can be split with grep or a spreadsheet filter. Each
// table starts with a header row whose second column is "#".
func (a *Analyzer) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	cw.Write([]string{"phs", "#", "depth", "protocol", "frames", "bytes"})
	var walk func(n *Node, path []string)
	walk = func(n *Node, path []string) {
		for _, c := range n.Children {
			p := append(path, c.Name)
			cw.Write([]string{"phs", strings.Join(p, ":"), strconv.Itoa(len(p) - 1), c.Name, u(c.Frames), u(c.Bytes)})
			walk(c, p)
		}
	}
	walk(a.hier.Root(), nil)
	for _, k := range ConvKinds() {
		t := "conv," + k.String()
		cw.Write([]string{t, "#", "a", "b", "b_to_a_frames", "b_to_a_bytes", "a_to_b_frames", "a_to_b_bytes", "frames", "bytes", "rel_start", "duration"})
		for _, c := range a.Conversations(k) {
			cw.Write([]string{t, "", c.A, c.B, u(c.BtoAFrames), u(c.BtoABytes), u(c.AtoBFrames), u(c.AtoBBytes), u(c.Frames()), u(c.Bytes()),
				fmt.Sprintf("%.9f", c.Start.Seconds()), fmt.Sprintf("%.4f", c.Duration().Seconds())})
		}
	}
	for _, k := range ConvKinds() {
		t := "endpoints," + k.String()
		cw.Write([]string{t, "#", "address", "port", "packets", "bytes", "tx_packets", "tx_bytes", "rx_packets", "rx_bytes"})
		for _, e := range a.Endpoints(k) {
			port := ""
			if k == ConvTCP || k == ConvUDP {
				port = strconv.Itoa(int(e.Port))
			}
			cw.Write([]string{t, "", e.Host, port, u(e.Frames()), u(e.Bytes()), u(e.TxFrames), u(e.TxBytes), u(e.RxFrames), u(e.RxBytes)})
		}
	}
	cw.Write([]string{"io,stat", "#", "start", "end", "frames", "bytes"})
	for _, r := range a.IOStats() {
		cw.Write([]string{"io,stat", "", fmt.Sprintf("%.6f", r.Start.Seconds()), fmt.Sprintf("%.6f", r.End.Seconds()), u(r.Frames), u(r.Bytes)})
	}
	for _, t := range a.StatTrees() {
		cw.Write([]string{t.Title, "#", "path", "count", "average", "min", "max"})
		var walk func(n *StatNode, path []string)
		walk = func(n *StatNode, path []string) {
			p := append(path, n.Name)
			avg, mn, mx := "", "", ""
			if n.HasValues && n.Count > 0 {
				avg, mn, mx = fmt.Sprintf("%.2f", n.Sum/float64(n.Count)), fmt.Sprint(n.Min), fmt.Sprint(n.Max)
			}
			cw.Write([]string{t.Title, "", strings.Join(p, " / "), u(n.Count), avg, mn, mx})
			for _, c := range n.sorted() {
				walk(c, p)
			}
		}
		for _, r := range t.Roots {
			walk(r, nil)
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteText writes every table in tshark's layout, in the order tshark
// prints them for
//
//	tshark -q -z io,phs -z conv,eth -z conv,ip -z conv,ipv6 -z conv,tcp -z conv,udp
//	  -z endpoints,eth ... -z endpoints,udp -z io,stat,INTERVAL -z http,tree -z http_req,tree
//	  -z http_srv,tree -z dns,tree
//
// (tshark prints the last -z first), followed by netlab's own tables.
func (a *Analyzer) WriteText(w io.Writer) error {
	var err error
	try := func(e error) {
		if err == nil {
			err = e
		}
	}
	// tshark prints the last -z first: dns, http_srv, http_req, http.
	for _, name := range []string{"dns", "http_srv", "http_req", "http"} {
		if t := a.StatTree(name); t != nil && (name == "dns" || t.Roots[0].Count > 0) {
			_, e := t.WriteTo(w)
			try(e)
		}
	}
	try(WriteIOStats(w, a.cfg.Interval, a.IOStats()))
	kinds := ConvKinds()
	for i := len(kinds) - 1; i >= 0; i-- {
		try(WriteEndpoints(w, kinds[i], a.Endpoints(kinds[i])))
	}
	for i := len(kinds) - 1; i >= 0; i-- {
		try(WriteConversations(w, kinds[i], a.Conversations(kinds[i])))
	}
	try(a.hier.WritePHS(w))
	for _, name := range []string{"dns_names", "tls"} {
		if t := a.StatTree(name); t != nil && t.Roots[0].Count > 0 {
			_, e := t.WriteTo(w)
			try(e)
		}
	}
	return err
}
