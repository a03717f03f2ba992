package capture

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// refTransactions is the DNS transaction bookkeeping as one Go map per
// address family, the way appStats kept it before its IPv4 table: the
// model TestDNSTransactionsMatchMaps holds the table to.
type refTransactions struct {
	m4 map[[2]uint64]dnsTransaction
	m6 map[dnsKey]dnsTransaction
}

func (r *refTransactions) record(d *dnsFact, ts int64) (dnsTransaction, bool) {
	if !d.v6 {
		return refRecord(r, r.m4, dnsKey4(d), d.qr, ts)
	}
	k := dnsKey{id: d.id, client: d.src, server: d.dst, cport: d.sport, sport: d.dport}
	if d.qr {
		k.client, k.server, k.cport, k.sport = d.dst, d.src, d.dport, d.sport
	}
	return refRecord(r, r.m6, k, d.qr, ts)
}

func refRecord[K comparable](r *refTransactions, m map[K]dnsTransaction, k K, response bool, ts int64) (dnsTransaction, bool) {
	tr, ok := m[k]
	switch {
	case !response:
		if !ok || tr.answered {
			if len(r.m4)+len(r.m6) >= maxDNSTransactions {
				clear(r.m4)
				clear(r.m6)
			}
			m[k] = dnsTransaction{query: ts}
		}
	case ok && !tr.answered:
		m[k] = dnsTransaction{query: tr.query, answered: true}
	}
	return tr, ok
}

// TestDNSTransactionsMatchMaps feeds queries, responses, repeats and
// unsolicited responses, IPv4 and IPv6, over more distinct transactions
// than are kept (so the tables grow and are forgotten several times), to
// appStats and to the map model, and compares every answer.
func TestDNSTransactionsMatchMaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := newAppStats()
	ref := &refTransactions{m4: map[[2]uint64]dnsTransaction{}, m6: map[dnsKey]dnsTransaction{}}
	const pool = 3 * maxDNSTransactions
	var hits, answered int
	for i := range 20 * maxDNSTransactions {
		x := rng.IntN(pool)
		d := dnsFact{id: uint16(x), sport: uint16(1024 + x%7), dport: 53, qr: rng.IntN(2) == 0, v6: x%10 == 0}
		d.src[0], d.src[3], d.dst[0], d.dst[3] = 10, byte(x>>16), 10, byte(x>>8)
		if x%10 == 0 {
			d.src[15] = 1
		}
		if d.qr {
			d.src, d.dst, d.sport, d.dport = d.dst, d.src, d.dport, d.sport
		}
		ts := int64(i) * 1000
		got, gok := s.transaction(&d, ts)
		want, wok := ref.record(&d, ts)
		if got != want || gok != wok {
			t.Fatalf("message %d (%+v): got %+v %v, want %+v %v", i, d, got, gok, want, wok)
		}
		if gok {
			hits++
			if got.answered {
				answered++
			}
		}
	}
	if n := len(s.pending) + s.pending4.n; n != len(ref.m4)+len(ref.m6) {
		t.Fatalf("%d transactions kept, want %d", n, len(ref.m4)+len(ref.m6))
	}
	// The mix must exercise every case, or the comparison says little.
	if hits == 0 || answered == 0 || len(s.pending) == 0 {
		t.Fatalf("hits %d, answered %d, IPv6 kept %d: the mix misses a case", hits, answered, len(s.pending))
	}
}

// TestDNSTypeAndClassNames holds the tables of type and class names to
// the maps they are made from, for every 16-bit value.
func TestDNSTypeAndClassNames(t *testing.T) {
	for v := range 1 << 16 {
		typ, ok := dnsTypes[uint16(v)]
		if !ok {
			typ = "Unknown (" + strconv.Itoa(v) + ")"
		}
		if got := dnsTypeName(uint16(v)); got != typ {
			t.Fatalf("type %d: %q, want %q", v, got, typ)
		}
		class, ok := dnsClasses[uint16(v)&0x7fff]
		if !ok {
			class = "Unknown (" + strconv.Itoa(v) + ")"
		}
		if got := dnsClassName(uint16(v)); got != class {
			t.Fatalf("class %d: %q, want %q", v, got, class)
		}
	}
}
