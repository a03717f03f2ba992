package amqpdemo

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// topicCases is RabbitMQ tutorial 5's table (quick.orange.rabbit and
// friends, bound with *.orange.*, *.*.rabbit and lazy.#) plus the edge cases
// of empty keys and empty words.
var topicCases = []struct {
	binding, routing string
	want             bool
}{
	{"*.orange.*", "quick.orange.rabbit", true},
	{"*.*.rabbit", "quick.orange.rabbit", true},
	{"lazy.#", "quick.orange.rabbit", false},
	{"*.orange.*", "lazy.orange.elephant", true},
	{"*.*.rabbit", "lazy.orange.elephant", false},
	{"lazy.#", "lazy.orange.elephant", true},
	{"*.orange.*", "quick.orange.fox", true},
	{"lazy.#", "quick.orange.fox", false},
	{"lazy.#", "lazy.brown.fox", true},
	{"*.*.rabbit", "lazy.pink.rabbit", true},
	{"lazy.#", "lazy.pink.rabbit", true},
	{"*.orange.*", "quick.brown.fox", false},
	{"*.*.rabbit", "quick.brown.fox", false},
	{"lazy.#", "quick.brown.fox", false},
	{"*.orange.*", "orange", false},
	{"*.orange.*", "quick.orange.male.rabbit", false},
	{"lazy.#", "lazy.orange.male.rabbit", true},
	{"lazy.#", "lazy", true},
	{"#", "anything.at.all", true},
	{"#", "", true},
	{"*", "", false},
	{"", "", true},
	{"", "a", false},
	{"*", "a", true},
	{"*", "a.b", false},
	{"#.#", "a", true},
	{"#.b.#", "a.b.c", true},
	{"#.b.#", "b", true},
	{"#.b.#", "a.c", false},
	{"a.#.c", "a.c", true},
	{"a.#.c", "a.b.x.c", true},
	{"a.#.c", "a.b.x.c.d", false},
	{"a.*.#", "a", false},
	{"a.*.#", "a.b", true},
	{"#.*", "", false},
	{"#.*", "x.y", true},
	{"a.", "a.", true},
	{"a.*", "a.", true},
	{"*.*", ".", true},
	{"a", "a.", false},
	{"stock.#", "stock.nyse.ibm", true},
	{"stock.*", "stock.nyse.ibm", false},
	{"#.ibm", "stock.nyse.ibm", true},
	{"#.ibm", "ibm", true},
}

func TestMatchTopicTable(t *testing.T) {
	for _, c := range topicCases {
		assert.Equal(t, c.want, MatchTopic(c.binding, c.routing), "binding %q routing %q", c.binding, c.routing)
		assert.Equal(t, c.want, matchReference(splitTopic(c.binding), splitTopic(c.routing)), "reference: binding %q routing %q", c.binding, c.routing)
	}
}

// matchReference is the definition of topic matching, written as plainly as
// possible (and exponentially slow): the fuzz target checks MatchTopic
// against it.
func matchReference(pat, words []string) bool {
	if len(pat) == 0 {
		return len(words) == 0
	}
	switch pat[0] {
	case "#":
		for skip := 0; skip <= len(words); skip++ {
			if matchReference(pat[1:], words[skip:]) {
				return true
			}
		}
		return false
	case "*":
		return len(words) > 0 && matchReference(pat[1:], words[1:])
	default:
		return len(words) > 0 && words[0] == pat[0] && matchReference(pat[1:], words[1:])
	}
}

func FuzzMatchTopic(f *testing.F) {
	for _, c := range topicCases {
		f.Add(c.binding, c.routing)
	}
	f.Fuzz(func(t *testing.T, binding, routing string) {
		// The reference is exponential in the number of '#': keep it small.
		if len(binding) > 40 || len(routing) > 60 || strings.Count(binding, "#") > 4 {
			t.Skip()
		}
		require.Equal(t, matchReference(splitTopic(binding), splitTopic(routing)), MatchTopic(binding, routing),
			"binding %q routing %q", binding, routing)
	})
}

func TestValidateRoutingKey(t *testing.T) {
	require.NoError(t, ValidateRoutingKey(strings.Repeat("k", 255)))
	err := ValidateRoutingKey(strings.Repeat("k", 256))
	require.ErrorIs(t, err, ErrInvalidRoutingKey)
	assert.Contains(t, err.Error(), "256 bytes, the limit is 255")
}

func TestCourseKey(t *testing.T) {
	assert.Equal(t, "default", CourseKey(""))
	assert.Equal(t, "default", CourseKey("ab"))
	assert.Equal(t, "default", CourseKey("  x "))
	assert.Equal(t, "default", CourseKey("éé"), "length counts characters, not bytes")
	assert.Equal(t, "abc", CourseKey("abc"))
	assert.Equal(t, "weather.uk", CourseKey(" weather.uk\n"))
}

func BenchmarkMatchTopic(b *testing.B) {
	for b.Loop() {
		MatchTopic("#.orange.#.rabbit", "quick.orange.big.fat.male.rabbit")
	}
}
