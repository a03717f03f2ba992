//go:build !unix

package testenv

import "testing"

// lockBroker does nothing where flock does not exist: there, tests that
// restart the broker must run alone (go test -p 1).
func lockBroker(t testing.TB, exclusive bool) {}
