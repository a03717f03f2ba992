package kvstore

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"
)

// Handler returns the node's HTTP API, JSON in and out:
//
//	GET    /kv/{key}       the value and its version; 404 if absent
//	PUT    /kv/{key}       body = the value (raw bytes); returns the version
//	DELETE /kv/{key}       writes a tombstone; returns its version
//	GET    /kv?prefix=P    every live entry whose key starts with P
//	GET    /members        this node and the live members it knows
//	GET    /stats          the node's counters
//
// Bad requests get a 4xx status and {"error": "..."}; input never causes a
// 500.
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /kv/{key...}", n.httpGet)
	mux.HandleFunc("PUT /kv/{key...}", n.httpPut)
	mux.HandleFunc("DELETE /kv/{key...}", n.httpDelete)
	mux.HandleFunc("GET /kv", n.httpList)
	mux.HandleFunc("GET /members", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"self": n.Name(), "members": n.Members()})
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, n.Stats())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no such endpoint %s %s; see GET/PUT/DELETE /kv/{key}, GET /kv?prefix=, /members, /stats", r.Method, r.URL.Path))
	})
	return mux
}

// JSONEntry is an entry as the HTTP API shows it. Value is the value as text
// when it is valid UTF-8; otherwise Encoding is "base64" and Value is its
// base64 encoding.
type JSONEntry struct {
	Key      string      `json:"key"`
	Value    string      `json:"value"`
	Encoding string      `json:"encoding"`
	Version  JSONVersion `json:"version"`
}

// JSONVersion is a Version in the HTTP API.
type JSONVersion struct {
	Wall    time.Time `json:"wall"`
	Logical uint32    `json:"logical"`
	Node    string    `json:"node"`
}

func toJSON(e Entry) JSONEntry {
	j := JSONEntry{Key: e.Key, Value: string(e.Value), Encoding: "utf-8", Version: versionJSON(e.Version)}
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
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, toJSON(e))
}

func (n *Node) httpPut(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if err := n.checkSizes(key, nil); err != nil {
		writeError(w, statusFor(err), err)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(n.cfg.Limits.MaxValue)+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("reading the body: %w", err))
		return
	}
	v, err := n.Put(key, body)
	if err != nil {
		writeError(w, statusFor(err), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": key, "version": versionJSON(v)})
}

func (n *Node) httpDelete(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	v, err := n.Delete(key)
	if err != nil {
		writeError(w, statusFor(err), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"key": key, "deleted": true, "version": versionJSON(v)})
}

func (n *Node) httpList(w http.ResponseWriter, r *http.Request) {
	es, err := n.List(r.URL.Query().Get("prefix"))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
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
	case errors.Is(err, errEmptyKey):
		return http.StatusBadRequest
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
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
