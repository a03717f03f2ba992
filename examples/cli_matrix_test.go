package examples_test

var _ = register(program{
	dir: "matrix",
	bad: []invocation{
		{args: []string{"-local", "-n", "0"}, exit: 2, want: "-n"},
		{args: []string{"-local", "-n", "-5"}, exit: 2, want: "-n"},
		{args: []string{"-local", "-n", "200000"}, exit: 2, want: "memory"},
		{args: []string{"frob"}, exit: 2, want: `"frob"`},
		{args: []string{}, exit: 2, want: "-local"},
		{args: []string{"-local", "-workers", "0"}, exit: 2, want: "-workers"},
		{args: []string{"-local", "-task-timeout", "0s"}, exit: 2, want: "-task-timeout"},
		{args: []string{"multiply", "-n", "0"}, exit: 2, want: "-n"},
		{args: []string{"multiply", "-coordinator", "nowhere"}, exit: 2, want: "-coordinator"},
		{args: []string{"multiply", "-wait", "-1s"}, exit: 2, want: "-wait"},
		{args: []string{"worker", "-cutoff", "0"}, exit: 2, want: "-cutoff"},
		{args: []string{"worker", "-coordinator", "x"}, exit: 2, want: "-coordinator"},
		{args: []string{"worker", "-idle-timeout", "0s"}, exit: 2, want: "-idle-timeout"},
		{args: []string{"worker", "-threads", "-1"}, exit: 2, want: "-threads"},
		{args: []string{"-local", "-threads", "-1"}, exit: 2, want: "-threads"},
		{args: []string{"coordinator", "-addr", "x"}, exit: 2, want: "-addr"},
		{args: []string{"coordinator", "-lease", "0s"}, exit: 2, want: "-lease"},
		{args: []string{"coordinator", "-max-conns", "0"}, exit: 2, want: "-max-conns"},
		{args: []string{"-local", "-transport", "udp"}, exit: 2, want: "-transport"},
		{args: []string{"-local", "-transport", "amqp", "-amqp-url", "http://u:p@h/"}, exit: 2, want: "-amqp-url"},
		{args: []string{"multiply", "-transport", "amqp", "-coordinator", "127.0.0.1:7070"}, exit: 2, want: "-coordinator"},
		{args: []string{"multiply", "-transport", "amqp", "-cutoff", "0"}, exit: 2, want: "-cutoff"},
		{args: []string{"worker", "-transport", "amqp", "-addr", "127.0.0.1:0"}, exit: 2, want: "-addr"},
		{args: []string{"worker", "-transport", "amqp", "-amqp-url", "amqp://x:y@h:notaport/"}, exit: 2, want: "-amqp-url"},
		{args: []string{"multiply", "-job", "nightly"}, exit: 2, want: "-job: only with -transport amqp"},
		{args: []string{"multiply", "-transport", "amqp", "-job", "a/b"}, exit: 2, want: "-job"},
		{args: []string{"multiply", "-transport", "amqp", "-job", "amq.x"}, exit: 2, want: "-job"},
		{args: []string{"-local", "-transport", "amqp", "-job", "nightly"}, exit: 2, want: "-job"},
		// A broker that is not there: a run-time failure, one line.
		{args: []string{"multiply", "-transport", "amqp", "-amqp-url", "amqp://guest:guest@127.0.0.1:1/", "-n", "64"}, exit: 1, want: "127.0.0.1:1"},
	},
	happy: [][]string{
		{"-local", "-n", "64"},
		{"-local", "-n", "128", "-workers", "7", "-threads", "1"},
		{"-local", "-n", "200", "-workers", "3", "-wait", "100ms"}, // too few workers: reported as local
	},
	needy: [][]string{
		{"-local", "-transport", "amqp", "-n", "130", "-workers", "2", "-cutoff", "16"},
		{"-local", "-transport", "amqp", "-n", "40", "-cutoff", "64"}, // nothing to split: said so
	},
	happyNeeds: "AMQP_URL",
	happyHow:   "start RabbitMQ and set AMQP_URL=amqp://guest:guest@127.0.0.1:5672/",
})
