//go:build openblas && !cgo

package matrix

// The openblas tag calls OpenBLAS through cgo: build with CGO_ENABLED=1 and
// a C compiler. Without cgo the build stops here rather than quietly
// running the pure-Go kernel under a tag that promises OpenBLAS.
var _ = openblasTagNeedsCgoEnabled
