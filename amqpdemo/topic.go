package amqpdemo

import (
	"errors"
	"fmt"
	"strings"
)

// MaxRoutingKeyLen is the longest routing key AMQP 0-9-1 can carry: the key
// travels as a shortstr, whose length is one octet.
const MaxRoutingKeyLen = 255

// CourseDefaultKey is the routing key the course's sender substitutes for a
// key that is too short.
const CourseDefaultKey = "default"

// ErrInvalidRoutingKey is returned (wrapped, with the reason) for a routing
// or binding key that cannot be sent.
var ErrInvalidRoutingKey = errors.New("amqpdemo: invalid routing key")

// MatchTopic reports whether a topic exchange delivers a message with
// routingKey to a queue bound with bindingKey.
//
// Both keys are lists of words separated by dots. In the binding key, "*"
// stands for exactly one word and "#" for zero or more words; every other
// word must equal the routing key's word at that position. The empty key has
// no words at all, so "#" matches it and "*" does not; "a." has two words,
// "a" and "".
//
// [MatchTopic] is the rule RabbitMQ's topic exchange applies, written out as a
// word-level glob match: "#" plays the part of a shell's "*" and "*" the part
// of a shell's "?". It runs in O(len(binding)·len(routing)) in the worst case
// and allocates only to split the keys.
func MatchTopic(bindingKey, routingKey string) bool {
	pat, words := splitTopic(bindingKey), splitTopic(routingKey)
	p, w := 0, 0
	// star and mark remember the most recent "#" and the word it was tried
	// against, so a failed match can let that "#" swallow one more word.
	star, mark := -1, 0
	for w < len(words) {
		switch {
		case p < len(pat) && pat[p] == "#":
			star, mark = p, w
			p++
		case p < len(pat) && (pat[p] == "*" || pat[p] == words[w]):
			p++
			w++
		case star >= 0:
			mark++
			p, w = star+1, mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == "#" {
		p++
	}
	return p == len(pat)
}

// splitTopic splits a key into its words, with RabbitMQ's convention that the
// empty key has no words.
func splitTopic(key string) []string {
	if key == "" {
		return nil
	}
	return strings.Split(key, ".")
}

// ValidateRoutingKey returns an error wrapping [ErrInvalidRoutingKey] when key
// cannot be published: AMQP limits keys to [MaxRoutingKeyLen] bytes.
func ValidateRoutingKey(key string) error {
	if len(key) > MaxRoutingKeyLen {
		return fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalidRoutingKey, len(key), MaxRoutingKeyLen)
	}
	return nil
}

// CourseKey applies the course sender's rule for routing keys typed by a
// person: a key shorter than 3 characters becomes "default"; any other key is
// used as typed, without surrounding spaces. It is kept to explain the
// course's sender; netlab's own sender does not apply it: [Sender.Publish]
// refuses an empty key, and any other key means exactly what was typed.
func CourseKey(typed string) string {
	k := strings.TrimSpace(typed)
	if len([]rune(k)) < 3 {
		return CourseDefaultKey
	}
	return k
}
