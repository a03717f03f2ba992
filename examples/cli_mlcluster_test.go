package examples_test

import (
	"path/filepath"
	"time"
)

// blobsCSV is a small dataset for the happy path, by absolute path because
// each run happens in a fresh directory.
var blobsCSV, _ = filepath.Abs(filepath.Join("mlcluster", "testdata", "blobs.csv"))

var _ = register(program{
	dir: "mlcluster",
	bad: []invocation{
		{args: []string{"frob"}, exit: 2, want: `"frob"`},
		{args: []string{}, exit: 2, want: "missing subcommand"},
		{args: []string{"gen", "-rows", "-5"}, exit: 2, want: "-rows"},
		{args: []string{"gen", "-k", "0"}, exit: 2, want: "-k"},
		{args: []string{"gen", "-out", "/proc/self/blobs.csv"}, exit: 2, want: "-out"},
		{args: []string{"gen", "-out", "blobs.jpg"}, exit: 2, want: "-out"},
		{args: []string{"gen", "-rows", "2000000000", "-cols", "65536"}, exit: 2, want: "memory"},
		{args: []string{"submit"}, exit: 2, want: "-data"},
		{args: []string{"submit", "-data", "missing.csv"}, exit: 2, want: "-data"},
		{args: []string{"submit", "-data", "/etc/hostname", "-algo", "nope"}, exit: 2, want: "-algo"},
		{args: []string{"submit", "-data", "/etc/hostname", "-out", "/proc/self/labels.csv"}, exit: 2, want: "-out"},
		{args: []string{"submit", "-data", "/etc/hostname", "-algo", "stats", "-plot", "p.png"}, exit: 2, want: "-plot"},
		{args: []string{"submit", "-data", "/etc/hostname", "-params", "oops"}, exit: 2, want: "-params"},
		{args: []string{"submit", "-data", "/etc/hostname", "-local", "-1"}, exit: 2, want: "-local"},
		{args: []string{"submit", "-data", blobsCSV, "-coordinator", "127.0.0.1:1"}, exit: 1, want: "connection refused"},
		{args: []string{"coordinator", "-addr", "x"}, exit: 2, want: "-addr"},
		{args: []string{"coordinator", "-step-timeout", "0s"}, exit: 2, want: "-step-timeout"},
		{args: []string{"coordinator", "-max-conns", "0"}, exit: 2, want: "-max-conns"},
		{args: []string{"worker", "-coordinator", "nowhere"}, exit: 2, want: "-coordinator"},
		{args: []string{"worker", "extra"}, exit: 2, want: `"extra"`},
		{args: []string{"worker", "-transport", "smoke"}, exit: 2, want: "-transport"},
		{args: []string{"worker", "-transport", "amqp", "-coordinator", "127.0.0.1:7077"}, exit: 2, want: "-coordinator"},
		{args: []string{"worker", "-transport", "amqp", "-amqp-url", "amqp://u:p@h:x/"}, exit: 2, want: "-amqp-url"},
		{args: []string{"submit", "-data", blobsCSV, "-transport", "amqp", "-amqp-url", "tcp://h/"}, exit: 2, want: "-amqp-url"},
		{args: []string{"submit", "-data", blobsCSV, "-shards", "3"}, exit: 2, want: "-shards"},
		{args: []string{"submit", "-data", blobsCSV, "-transport", "amqp", "-shards", "-1"}, exit: 2, want: "-shards"},
		{args: []string{"submit", "-data", blobsCSV, "-transport", "amqp", "-step-timeout", "1s"}, exit: 2, want: "-step-timeout"},
		{args: []string{"submit", "-data", blobsCSV, "-job", "nightly"}, exit: 2, want: "-job: only with -transport amqp"},
		{args: []string{"submit", "-data", blobsCSV, "-transport", "amqp", "-job", "a b"}, exit: 2, want: "-job"},
		{args: []string{"submit", "-data", blobsCSV, "-transport", "amqp", "-local", "2", "-job", "nightly"}, exit: 2, want: "-job: not with -local"},
		// A broker that is not there: a run-time failure, one line.
		{args: []string{"submit", "-data", blobsCSV, "-transport", "amqp", "-amqp-url", "amqp://guest:guest@127.0.0.1:1/"}, exit: 1, want: "127.0.0.1:1"},
	},
	happy: [][]string{
		{"gen", "-rows", "3000", "-k", "3", "-out", "blobs.csv"},
		{"submit", "-local", "2", "-data", blobsCSV, "-k", "3", "-out", "labels.csv", "-plot", "clusters.png"},
		{"submit", "-local", "1", "-data", blobsCSV, "-algo", "pca"},
	},
	needy: [][]string{
		{"submit", "-transport", "amqp", "-local", "2", "-data", blobsCSV, "-k", "3", "-out", "labels.csv", "-plot", "clusters.png"},
		{"submit", "-transport", "amqp", "-local", "1", "-shards", "3", "-data", blobsCSV, "-algo", "stats"},
	},
	happyNeeds: "AMQP_URL",
	happyHow:   "start RabbitMQ and set AMQP_URL=amqp://guest:guest@127.0.0.1:5672/",
	timeout:    2 * time.Minute,
})
