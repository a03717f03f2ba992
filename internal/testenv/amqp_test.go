package testenv

import "testing"

func TestAMQPURLReadsTheEnvironmentOrSkips(t *testing.T) {
	t.Setenv(RequireEnv, "")
	t.Setenv("AMQP_URL", "amqp://u:p@h:1/")
	r := &recorder{TB: t}
	if u := AMQPURL(r); u != "amqp://u:p@h:1/" || r.skipped || r.failed {
		t.Fatalf("AMQPURL = %q %+v", u, r)
	}
	t.Setenv("AMQP_URL", "")
	r = &recorder{TB: t}
	AMQPURL(r)
	if !r.skipped {
		t.Fatalf("without AMQP_URL the test must skip: %+v", r)
	}
}
