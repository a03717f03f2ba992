package kvstore

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// Handler returns the node's HTTP API, JSON in and out:
//
//	GET    /kv/{key}       the value and its version; 404 if absent
//	PUT    /kv/{key}?w=N   body = the value (raw bytes); returns the version
//	DELETE /kv/{key}?w=N   writes a tombstone; returns its version
//	GET    /kv?prefix=P    every live entry whose key starts with P
//	GET    /members        this node and the live members it knows
//	GET    /stats          the node's counters
//
// Keys are the URL path after /kv/, percent-decoded, so any bytes can be a
// key (%FF is the byte 0xFF). In answers, a key or value that is not valid
// UTF-8 is sent in base64 and says so ("key_encoding", "encoding"; see
// [JSONEntry]), so that a listing gives back every key exactly.
//
// What a 200 to a write means: the write is in this node's store and on its
// way to the others. Without a durable store ([BoltStore], -data in
// examples/gossip-kv) that is one node's memory: if this node is killed
// before the broadcast leaves, the write is lost although it was
// acknowledged. Ask for w=N to have the answer wait until N other members
// have stored the write ([Node.PutAcked]); if they do not within
// [Config.AckTimeout], the answer is 503 with the version (the write stays
// here and keeps spreading).
//
// A method a path does not take gets 405 with an Allow header. Bad requests
// get a 4xx status and {"error": "..."}; input never causes a 500.
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /kv/{key...}", n.httpGet)
	mux.HandleFunc("PUT /kv/{key...}", n.httpPut)
	mux.HandleFunc("DELETE /kv/{key...}", n.httpDelete)
	mux.HandleFunc("/kv/{key...}", methodNotAllowed("GET, HEAD, PUT, DELETE"))
	mux.HandleFunc("GET /kv", n.httpList)
	mux.HandleFunc("/kv", methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("GET /members", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"self": n.Name(), "members": n.Members()})
	})
	mux.HandleFunc("/members", methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, n.Stats())
	})
	mux.HandleFunc("/stats", methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no such endpoint %s %s; see GET/PUT/DELETE /kv/{key}, GET /kv?prefix=, /members, /stats", r.Method, r.URL.Path))
	})
	return mux
}

// methodNotAllowed answers 405 naming the methods the path takes.
func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Errorf("method %s not allowed on %s; allowed: %s", r.Method, r.URL.Path, allow))
	}
}

// JSONEntry is an entry as the HTTP API shows it. Key and Value are text
// when they are valid UTF-8 (KeyEncoding and Encoding "utf-8"); otherwise
// the encoding is "base64" and the field holds the bytes in standard base64,
// since JSON strings cannot carry arbitrary bytes.
type JSONEntry struct {
	Key         string      `json:"key"`
	KeyEncoding string      `json:"key_encoding"`
	Value       string      `json:"value"`
	Encoding    string      `json:"encoding"`
	Version     JSONVersion `json:"version"`
}

// Bytes decodes the entry's key and value.
func (j JSONEntry) Bytes() (key, value []byte, err error) {
	dec := func(s, enc string) ([]byte, error) {
		switch enc {
		case "utf-8", "":
			return []byte(s), nil
		case "base64":
			return base64.StdEncoding.DecodeString(s)
		}
		return nil, fmt.Errorf("kvstore: unknown encoding %q", enc)
	}
	if key, err = dec(j.Key, j.KeyEncoding); err != nil {
		return nil, nil, err
	}
	value, err = dec(j.Value, j.Encoding)
	return key, value, err
}

// JSONVersion is a [Version] in the HTTP API.
type JSONVersion struct {
	Wall    time.Time `json:"wall"`
	Logical uint32    `json:"logical"`
	Node    string    `json:"node"`
}

func toJSON(e Entry) JSONEntry {
	j := JSONEntry{Key: e.Key, KeyEncoding: "utf-8", Value: string(e.Value), Encoding: "utf-8", Version: versionJSON(e.Version)}
	if !utf8.ValidString(e.Key) {
		j.Key, j.KeyEncoding = base64.StdEncoding.EncodeToString([]byte(e.Key)), "base64"
	}
	if !utf8.Valid(e.Value) {
		j.Value, j.Encoding = base64.StdEncoding.EncodeToString(e.Value), "base64"
	}
	return j
}

func versionJSON(v Version) JSONVersion {
	return JSONVersion{Wall: v.Time().UTC(), Logical: v.Logical, Node: v.Node}
}

func (n *Node) httpGet(w http.ResponseWriter, r *http.Request) {
	e, err := n.Get(r.PathValue("key"))
	if errors.Is(err, ErrNotFound) {
		writeError(w, http.StatusNotFound, err)
		return
	}
	if err != nil {
		writeError(w, statusFor(err), err)
		return
	}
	writeJSON(w, http.StatusOK, toJSON(e))
}

func (n *Node) httpPut(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	acks, err := ackParam(r)
	if err == nil {
		err = n.checkSizes(key, nil)
	}
	if err != nil {
		writeError(w, statusFor(err), err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(n.cfg.Limits.MaxValue)+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("reading the body: %w", err))
		return
	}
	v, err := n.PutAcked(r.Context(), key, body, acks)
	writeResult(w, key, v, acks, err, nil)
}

func (n *Node) httpDelete(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	acks, err := ackParam(r)
	if err != nil {
		writeError(w, statusFor(err), err)
		return
	}
	v, err := n.DeleteAcked(r.Context(), key, acks)
	writeResult(w, key, v, acks, err, map[string]any{"deleted": true})
}

// errBadAcks marks an unusable w parameter.
var errBadAcks = errors.New("kvstore: w must be a whole number of other replicas, 0 to 100")

// ackParam reads ?w=N, the acknowledgements a write waits for.
func ackParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("w")
	if s == "" {
		return 0, nil
	}
	w, err := strconv.Atoi(s)
	if err != nil || w < 0 || w > 100 {
		return 0, fmt.Errorf("%w, got %q", errBadAcks, s)
	}
	return w, nil
}

// writeResult answers a write: 200 with its version, or the error; a write
// that is stored here but not acknowledged by enough replicas is 503 and
// still carries its version.
func writeResult(w http.ResponseWriter, key string, v Version, acks int, err error, extra map[string]any) {
	out := map[string]any{"key": key}
	if key != "" && !utf8.ValidString(key) {
		out["key"], out["key_encoding"] = base64.StdEncoding.EncodeToString([]byte(key)), "base64"
	}
	for k, x := range extra {
		out[k] = x
	}
	status := http.StatusOK
	if err != nil {
		if v.Wall == 0 {
			writeError(w, statusFor(err), err)
			return
		}
		status = http.StatusServiceUnavailable
		out["error"] = err.Error()
		out["stored_locally"] = true
	}
	out["version"] = versionJSON(v)
	if acks > 0 {
		out["w"] = acks
	}
	writeJSON(w, status, out)
}

func (n *Node) httpList(w http.ResponseWriter, r *http.Request) {
	es, err := n.List(r.URL.Query().Get("prefix"))
	if err != nil {
		writeError(w, statusFor(err), err)
		return
	}
	out := make([]JSONEntry, len(es))
	for i, e := range es {
		out[i] = toJSON(e)
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out, "count": len(out)})
}

// statusFor maps a write error to a status: key and size problems are the
// caller's (4xx); anything else is the store's.
func statusFor(err error) int {
	switch {
	case errors.Is(err, errEmptyKey), errors.Is(err, errBadAcks):
		return http.StatusBadRequest
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrNotEnoughReplicas), errors.Is(err, errNoRequester), errors.Is(err, ErrClosed):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
