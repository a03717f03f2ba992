package main

import (
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// concept is what the report says about a step beyond what the step
// measured: a paragraph for a reader who has not met the idea, and the
// package whose documentation teaches it.
type concept struct {
	about string
	pkgs  []string // import paths under the module, for the godoc links
}

const modulePath = "github.com/netlab-go/netlab"

var concepts = map[string]concept{
	"share": {`Peers register the files they hold with an index server over UDP, ask it
		who holds a name, and download from that peer over TCP. The Classic codec
		is the lab manual's byte layout; Framed adds lengths and a SHA-256 the
		downloader checks.`, []string{"pdu", "p2p/index"}},
	"p2p": {`Seed nodes keep a list of peers; each new peer connects to neighbours chosen
		by preferential attachment, so a few hubs appear and node degrees follow a
		power law. Gossip floods messages once each; neighbours that stop
		answering are reported dead and replaced.`, []string{"p2p"}},
	"gossip": {`Epidemic dissemination: each informed node tells a few random others every
		round, so a rumour reaches everyone in a number of rounds that grows with
		the logarithm of the group's size. The simulator is checked against that
		theory; the cluster adds SWIM membership and failure detection.`, []string{"gossip", "gossip/sim"}},
	"kvstore": {`An eventually consistent key-value store: writes carry hybrid-logical-clock
		versions and the last writer wins; gossip spreads them and anti-entropy
		repairs what gossip missed, for example after a partition heals.`, []string{"kvstore"}},
	"reno": {`TCP's congestion control in a packet-level simulator: slow start, congestion
		avoidance and fast recovery shape the congestion window (cwnd) into the
		sawtooth below, and throughput falls with loss as the Mathis and PFTK
		models predict.`, []string{"reno"}},
	"matrix": {`Strassen's algorithm splits a product into seven smaller products; a
		coordinator leases seven workers, sends each one product, and combines
		the answers. The run is compared with one local multiply.`, []string{"matrix"}},
	"mlcluster": {`k-means on a small cluster: the data is split into shards, each worker
		assigns its rows to the nearest centroid, and the coordinator merges the
		sums into new centroids, step by step, with the same answer as one
		machine.`, []string{"mlcluster"}},
	"chat": {`How hosts on a LAN find each other (ARP, broadcast discovery) and talk: a UDP
		chat of plain datagrams, and a multithreaded TCP chat server.`, []string{"chat"}},
	"capture": {`A capture file is read and every frame decoded and counted as Wireshark
		counts it: the protocol hierarchy, the distribution of frame lengths, and
		who talked to whom, as a graph of the top talkers and as a matrix of bytes
		between every pair of devices.`, []string{"capture"}},
	"amqp": {`Topic messaging on RabbitMQ: messages are routed by pattern (weather.#,
		*.*.ibm) from a topic exchange to the queues bound to it, confirmed by the
		broker and counted by topic.`, []string{"amqpdemo"}},
}

type reportFigure struct {
	Src, Alt string
}

type reportSection struct {
	ID, Name, Title, About, Status, Class string
	Taken                                 string
	Numbers                               []string
	Figures                               []reportFigure
	Files                                 []string
	Docs                                  []reportLink
}

type reportLink struct{ Href, Text string }

type reportPage struct {
	Generated string
	Sections  []reportSection
	Failed    int
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netlab tour report</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1em 2em; color: #222; }
h1 { margin-bottom: 0; }
nav a { margin-right: .8em; }
section { border-top: 1px solid #ccc; margin-top: 2em; padding-top: .5em; }
.status { font-size: .8em; padding: .1em .5em; border-radius: .3em; margin-left: .5em; vertical-align: middle; }
.ok { background: #d4edda; } .skipped { background: #fff3cd; } .failed { background: #f8d7da; }
figure { display: inline-block; margin: .5em 1em .5em 0; max-width: 100%; }
figure img { max-width: 100%; max-height: 600px; border: 1px solid #eee; }
figcaption { font-size: .85em; color: #555; }
ul.numbers li { font-family: ui-monospace, monospace; font-size: .9em; }
</style>
</head>
<body>
<h1>netlab tour</h1>
<p>Every concept run end to end on loopback, {{.Generated}}.
{{if .Failed}}<strong>{{.Failed}} step(s) failed.</strong>{{end}}</p>
<nav>{{range .Sections}}<a href="#{{.ID}}">{{.Name}}</a>{{end}}</nav>
{{range .Sections}}
<section id="{{.ID}}">
<h2>{{.Name}}: {{.Title}}<span class="status {{.Class}}">{{.Status}}</span></h2>
<p>{{.About}}</p>
{{range .Figures}}<figure><img src="{{.Src}}" alt="{{.Alt}}"><figcaption>{{.Alt}}</figcaption></figure>
{{end}}
{{if .Numbers}}<h3>Measured in this run ({{.Taken}})</h3>
<ul class="numbers">{{range .Numbers}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Files}}<p>Other files: {{range .Files}}<a href="{{.}}">{{.}}</a> {{end}}</p>{{end}}
<p>Read more: {{range .Docs}}<a href="{{.Href}}">{{.Text}}</a> {{end}}</p>
</section>
{{end}}
</body>
</html>
`))

// writeReport writes report.html into out: one section per step that ran,
// with its pictures (linked beside the page), its figures and its godoc.
func writeReport(out string, results []result, now time.Time) (string, error) {
	page := reportPage{Generated: now.Format("2006-01-02 15:04 MST")}
	for _, r := range results {
		c := concepts[r.step.name]
		sec := reportSection{
			ID: r.step.name, Name: r.step.name, Title: r.step.title, About: strings.Join(strings.Fields(c.about), " "),
			Status: "ok", Class: "ok", Taken: r.taken.Round(time.Millisecond).String(), Numbers: r.env.report,
		}
		switch {
		case isSkipped(r.err):
			sec.Status, sec.Class = r.err.Error(), "skipped"
		case r.err != nil:
			sec.Status, sec.Class = "FAILED: "+r.err.Error(), "failed"
			page.Failed++
		}
		for _, f := range r.env.files {
			rel, err := filepath.Rel(out, f)
			if err != nil || strings.HasPrefix(rel, "..") {
				rel = f
			}
			rel = filepath.ToSlash(rel)
			switch strings.ToLower(filepath.Ext(f)) {
			case ".png", ".svg":
				if _, err := os.Stat(f); err == nil {
					sec.Figures = append(sec.Figures, reportFigure{Src: rel, Alt: strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))})
				}
			default:
				sec.Files = append(sec.Files, rel)
			}
		}
		for _, p := range c.pkgs {
			sec.Docs = append(sec.Docs, reportLink{Href: "https://pkg.go.dev/" + modulePath + "/" + p, Text: "package " + p})
		}
		page.Sections = append(page.Sections, sec)
	}
	path := filepath.Join(out, "report.html")
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	if err := reportTemplate.Execute(f, page); err != nil {
		f.Close()
		return "", fmt.Errorf("report: %w", err)
	}
	return path, f.Close()
}

// renderReport is writeReport for the end of the tour: it says where the
// page is, or why it could not be written.
func renderReport(w io.Writer, out string, results []result) {
	path, err := writeReport(out, results, time.Now())
	if err != nil {
		fmt.Fprintf(w, "\ncould not write the HTML report: %v\n", err)
		return
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	fmt.Fprintf(w, "\nreport with every picture: %s (open it in a browser)\n", abs)
}
