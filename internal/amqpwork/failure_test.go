package amqpwork

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKilledWorkerTaskRedelivered kills a worker process with SIGKILL while
// it holds a task: the broker sees its connection die, delivers the task
// to the worker that remains, and the result is the one the dead worker
// would have returned.
func TestKilledWorkerTaskRedelivered(t *testing.T) {
	cfg := brokerConfig(t, "kill")
	proc := startWorkerProcess(t, cfg)
	proc.waitLine(t, "ready")
	c := dial(t, cfg)
	tasks := []Task{{ID: "held", Body: []byte("block until killed")}}
	done := doAsync(func() ([]Result, error) { return c.Do(testCtx(t), "kill", tasks) })
	require.Equal(t, "started held", proc.waitLine(t, "started"))
	require.NoError(t, proc.cmd.Process.Signal(syscall.SIGKILL))
	assert.Equal(t, -1, proc.exited(t), "killed by a signal")

	runWorker(t, cfg, digestHandler)
	o := <-done
	require.NoError(t, o.err)
	requireDigests(t, tasks, o.r)
	assert.True(t, o.r[0].Redelivered, "the result should say the task was delivered before")
}

// TestCrashingTaskDeadLetteredByBroker: a task that makes every worker
// process crash (no handler ever returns, so no worker can report an
// error) is dead-lettered by the broker itself once its delivery limit is
// reached, and Do reports the task and the broker's reason.
func TestCrashingTaskDeadLetteredByBroker(t *testing.T) {
	cfg := brokerConfig(t, "crash")
	c := dial(t, cfg)
	tasks := []Task{{ID: "poison", Body: []byte("crash the worker")}, {ID: "fine", Body: []byte("ok")}}
	done := doAsync(func() ([]Result, error) { return c.Do(testCtx(t), "crash", tasks) })
	for i := 0; i < testMaxDeliveries; i++ {
		proc := startWorkerProcess(t, cfg)
		proc.waitLine(t, "crashing poison")
		assert.Equal(t, 3, proc.exited(t))
	}
	runWorker(t, cfg, digestHandler)
	o := <-done
	var dle *DeadLetterError
	require.ErrorAs(t, o.err, &dle)
	assert.Equal(t, "poison", dle.TaskID)
	assert.Contains(t, dle.Reason, "delivery_limit")
	assert.Equal(t, testMaxDeliveries, dle.Deliveries)
	assert.Equal(t, digest([]byte("ok")), string(o.r[1].Body))
}

// closeConnections closes, from the broker's side, every connection whose
// name contains substr, as an operator or a broker failover would; it
// returns how many it closed.
func closeConnections(t *testing.T, substr string) int {
	t.Helper()
	ctl := testenv.LookPath(t, "rabbitmqctl", "install rabbitmq-server (it ships rabbitmqctl)")
	out, err := exec.Command(ctl, "-q", "list_connections", "pid", "client_properties").CombinedOutput()
	if err != nil {
		testenv.Missing(t, "rabbitmqctl access to the broker", "run the tests as a user who can use rabbitmqctl: "+
			strings.TrimSpace(string(out)))
	}
	var pids []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		pid, props, ok := strings.Cut(sc.Text(), "\t")
		if ok && strings.Contains(props, substr) {
			pids = append(pids, pid)
		}
	}
	// rabbitmqctl takes seconds to start: close them all at once.
	var wg sync.WaitGroup
	for _, pid := range pids {
		wg.Go(func() {
			msg, err := exec.Command(ctl, "-q", "close_connection", pid, "netlab test").CombinedOutput()
			assert.NoError(t, err, "%s", msg)
		})
	}
	wg.Wait()
	return len(pids)
}

// TestConnectionLossOnBothSides closes the client's and the worker's broker
// connections while a task is in progress: both reconnect with back-off,
// the task is delivered again, and the job completes with the right
// results.
func TestConnectionLossOnBothSides(t *testing.T) {
	cfg := brokerConfig(t, "cut")
	gate := make(chan struct{})
	started := make(chan struct{}, 1)
	w := runWorker(t, cfg, gatedDigest(func(tk Task) bool { return tk.ID == "t000" }, gate, started))
	c := dial(t, cfg)
	tasks := makeTasks(4)
	done := doAsync(func() ([]Result, error) { return c.Do(testCtx(t), "cut", tasks) })
	testutil.Recv(t, started, 30*time.Second, "start of the held task")
	require.Equal(t, 2, closeConnections(t, cfg.Queue), "client and worker connections")
	close(gate)
	o := <-done
	require.NoError(t, o.err)
	requireDigests(t, tasks, o.r)
	assert.GreaterOrEqual(t, c.Stats().Reconnects, uint64(1))
	require.Eventually(t, func() bool { return w.Stats().Reconnects >= 1 }, 10*time.Second, 5*time.Millisecond)
}
