// Package defaults fills a config's zero fields from its defaults: the rule
// every netlab package follows (ARCHITECTURE.md, "Config with defaults"),
// that the zero value of an optional field means its default, as in
// net/http.
package defaults

import "reflect"

// Fill returns c with every exported field that is zero in c taken from d.
// A field is compared whole: a struct-valued field that is set at all is
// kept as it is (fill its own fields with another call). A field whose
// zero means something of its own ("0 turns it off") must be zero in d:
// the caller clears it in its copy of the defaults, next to the reason.
// A float field is zero when it equals 0, negative zero included, as with
// cmp.Or and the if-zero checks Fill replaces. T must be a struct type.
func Fill[T any](c, d T) T {
	cv, dv := reflect.ValueOf(&c).Elem(), reflect.ValueOf(d)
	for i := range cv.NumField() {
		if f := cv.Field(i); f.CanSet() && isZero(f) {
			f.Set(dv.Field(i))
		}
	}
	return c
}

// isZero reports whether f holds its type's zero value, counting a float's
// negative zero (which reflect.Value.IsZero does not) as zero.
func isZero(f reflect.Value) bool {
	switch f.Kind() {
	case reflect.Float32, reflect.Float64:
		return f.Float() == 0
	}
	return f.IsZero()
}
