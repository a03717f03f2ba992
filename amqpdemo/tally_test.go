package amqpdemo

import (
	"fmt"
	"strconv"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTallyCountsStayExactBeyondTheLimit(t *testing.T) {
	tl := NewTally(3, 100)
	for i := range 10 {
		require.True(t, tl.Add(Message{RoutingKey: "a", Body: []byte(fmt.Sprint(i)), ID: fmt.Sprint("a", i)}))
	}
	tl.Add(Message{RoutingKey: "b", Body: []byte("x"), ID: "b0"})
	tl.Add(Message{RoutingKey: "c", Body: []byte("y"), ID: "c0"})

	assert.Equal(t, 12, tl.Total())
	assert.Equal(t, 10, tl.Count("a"))
	assert.Equal(t, []TopicCount{{"a", 10}, {"b", 1}, {"c", 1}}, tl.Topics())
	var kept []string
	for _, m := range tl.Messages("a") {
		kept = append(kept, string(m.Body))
	}
	assert.Equal(t, []string{"7", "8", "9"}, kept, "the most recent messages, oldest first")
	assert.Empty(t, tl.Messages("nope"))
}

func TestTallyDropsDuplicatesWithinItsWindow(t *testing.T) {
	tl := NewTally(10, 2)
	assert.True(t, tl.Add(Message{RoutingKey: "k", ID: "1"}))
	assert.False(t, tl.Add(Message{RoutingKey: "k", ID: "1"}), "a redelivery is not counted twice")
	assert.True(t, tl.Add(Message{RoutingKey: "k", ID: "2"}))
	assert.True(t, tl.Add(Message{RoutingKey: "k", ID: "3"}))
	assert.True(t, tl.Add(Message{RoutingKey: "k", ID: "1"}), "ID 1 left the window of 2")
	assert.True(t, tl.Add(Message{RoutingKey: "k"}), "messages without an ID are always new")
	assert.True(t, tl.Add(Message{RoutingKey: "k"}))
	assert.Equal(t, 6, tl.Count("k"))
	assert.Equal(t, 1, tl.Duplicates())
}

func TestMessageTextIsSafeForATerminal(t *testing.T) {
	assert.Equal(t, "héllo wörld", Message{Body: []byte("héllo wörld")}.Text())
	assert.Equal(t, `"\xff\xfeok"`, Message{Body: []byte{0xff, 0xfe, 'o', 'k'}}.Text())
	assert.Equal(t, `"bell\a and escape\x1b[31m"`, Message{Body: []byte("bell\a and escape\x1b[31m")}.Text())
}

// FuzzMessageText: whatever body arrives from the broker, Text gives valid
// UTF-8 with only printable characters (and spaces), from which the body can be
// had back byte for byte.
func FuzzMessageText(f *testing.F) {
	for _, s := range []string{"", "héllo wörld", "\xff\xfeok", "bell\a and escape\x1b[31m", "tab\tnew\nline", `"quoted"`, "\u2028"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		text := Message{Body: body}.Text()
		require.True(t, utf8.ValidString(text), "%q", text)
		for _, r := range text {
			require.True(t, unicode.IsPrint(r) || r == ' ', "%q holds %U", text, r)
		}
		if text != string(body) {
			back, err := strconv.Unquote(text)
			require.NoError(t, err, "%q", text)
			require.Equal(t, string(body), back)
		}
	})
}
