package index

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWalkthroughUsesEveryPDUType(t *testing.T) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) {
			var out bytes.Buffer
			res, err := Walkthrough(context.Background(), &out, t.TempDir(), codec)
			require.NoError(t, err, out.String())
			if testing.Verbose() {
				t.Log(out.String())
			}
			assert.Equal(t, "ACDEFORST", res.Types(), out.String())
			assert.Equal(t, 2, res.Downloads)
			assert.Equal(t, int64(500), res.Bytes)
			assert.True(t, res.LeastUsed, "carol is sent to bob, the least-used holder")
			text := out.String()
			assert.Contains(t, text, `carol  ← index  O reply names=["song"]`)
			assert.Contains(t, text, `client ← index  E "unknown PDU type 'X'"`)
		})
	}
}
