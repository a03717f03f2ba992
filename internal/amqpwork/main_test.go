package amqpwork

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/netlab-go/netlab/internal/testutil"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/require"
)

// workerEnv, set to a task queue's name, makes the test binary a worker
// process (see TestMain): the tests that kill a worker with SIGKILL need a
// real process, and the test binary is one they can start.
const workerEnv = "NETLAB_AMQPWORK_TEST_WORKER"

// testMaxDeliveries is every test queue's MaxDeliveries.
const testMaxDeliveries = 3

func TestMain(m *testing.M) {
	if q := os.Getenv(workerEnv); q != "" {
		os.Exit(workerProcess(q))
	}
	testutil.LeakCheckMain(m, 5*time.Second)
}

// workerProcess runs a worker on queue until killed. Its handler is
// digestHandler, except that a task whose body starts with "block" prints
// "started ID" and never returns, and one that starts with "crash" exits
// the process, as a bug that kills the worker would.
func workerProcess(queue string) int {
	cfg := Config{Queue: queue, MaxDeliveries: testMaxDeliveries, MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond}
	w, err := NewWorker(cfg, func(ctx context.Context, t Task, f Fetcher) ([]byte, error) {
		switch {
		case strings.HasPrefix(string(t.Body), "block"):
			fmt.Printf("started %s\n", t.ID)
			<-ctx.Done()
			return nil, ctx.Err()
		case strings.HasPrefix(string(t.Body), "crash"):
			fmt.Printf("crashing %s\n", t.ID)
			os.Exit(3)
		}
		return digestHandler(ctx, t, f)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	if err := w.Run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// digestHandler's result is the SHA-256 of the task body: a pure function
// of the task, as every handler should be.
func digestHandler(_ context.Context, t Task, _ Fetcher) ([]byte, error) {
	sum := sha256.Sum256(t.Body)
	return []byte(hex.EncodeToString(sum[:])), nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// brokerConfig returns a Config on a task queue of the test's own, which
// is deleted (with the jobs' queues) when the test ends, or skips the test
// when AMQP_URL is not set.
func brokerConfig(t testing.TB, jobs ...string) Config {
	t.Helper()
	u := testenv.AMQPURL(t)
	cfg := Config{
		URL: u, Queue: "netlab.test." + randomID(), MaxDeliveries: testMaxDeliveries,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := DeleteQueues(ctx, cfg, jobs...); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		requireGone(t, cfg, jobs...)
	})
	return cfg
}

// requireGone checks that nothing the test declared is left on the broker.
func requireGone(t testing.TB, cfg Config, jobs ...string) {
	conn, err := amqp.Dial(cfg.URL)
	require.NoError(t, err)
	defer conn.Close()
	qs := []string{cfg.Queue}
	for _, j := range jobs {
		n := namesFor(cfg.Queue, j)
		qs = append(qs, n.results, n.dead, n.blobs)
	}
	for _, q := range qs {
		ch, err := conn.Channel()
		require.NoError(t, err)
		_, err = ch.QueueDeclarePassive(q, true, false, false, false, nil)
		var ae *amqp.Error
		if !errors.As(err, &ae) || ae.Code != amqp.NotFound {
			t.Errorf("queue %q is still on the broker (%v)", q, err)
			_ = ch.Close()
		}
	}
	ch, err := conn.Channel()
	require.NoError(t, err)
	err = ch.ExchangeDeclarePassive(namesFor(cfg.Queue, "").dlx, amqp.ExchangeHeaders, true, false, false, false, nil)
	var ae *amqp.Error
	if !errors.As(err, &ae) || ae.Code != amqp.NotFound {
		t.Errorf("exchange %q is still on the broker (%v)", namesFor(cfg.Queue, "").dlx, err)
	}
}

// rawChannel is a plain amqp091 channel to the test's broker, closed when
// the test ends: for looking at queues and putting messages where the
// engine would not.
func rawChannel(t testing.TB, cfg Config) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(cfg.URL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	require.NoError(t, err)
	return ch
}

// waitConsumers waits until n workers consume from the task queue.
func waitConsumers(t testing.TB, cfg Config, n int) {
	t.Helper()
	ch := rawChannel(t, cfg)
	require.Eventually(t, func() bool {
		q, err := ch.QueueDeclarePassive(cfg.Queue, true, false, false, false, nil)
		return err == nil && q.Consumers == n
	}, 20*time.Second, 5*time.Millisecond, "%d workers consuming", n)
}

// runWorker starts a worker in this process until the test ends.
func runWorker(t testing.TB, cfg Config, h Handler) *Worker {
	t.Helper()
	w, err := NewWorker(cfg, h)
	require.NoError(t, err)
	testutil.Serve(t, w.Run)
	return w
}

func dial(t testing.TB, cfg Config) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

// workerProc is a worker in a child process.
type workerProc struct {
	cmd   *exec.Cmd
	lines chan string
	wg    sync.WaitGroup
}

// startWorkerProcess re-executes the test binary as a worker on cfg.Queue.
func startWorkerProcess(t *testing.T, cfg Config) *workerProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), workerEnv+"="+cfg.Queue, "AMQP_URL="+cfg.URL)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &workerProc{cmd: cmd, lines: make(chan string, 100)}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		p.wg.Wait()
		_ = cmd.Wait()
	})
	return p
}

// waitLine waits for a line starting with prefix from the worker process.
func (p *workerProc) waitLine(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("worker process ended before printing %q", prefix)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			t.Fatalf("worker process did not print %q within 30 s", prefix)
		}
	}
}

// exited waits for the worker process to end and returns its exit code.
func (p *workerProc) exited(t *testing.T) int {
	t.Helper()
	p.wg.Wait()
	err := p.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	require.NoError(t, err)
	return 0
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// gatedDigest is digestHandler, except that tasks for which hold is true
// announce themselves on started (when it has room) and wait for gate to
// close: the tests hold a task in a worker while they break something.
func gatedDigest(hold func(Task) bool, gate <-chan struct{}, started chan<- struct{}) Handler {
	return func(ctx context.Context, t Task, f Fetcher) ([]byte, error) {
		if hold(t) {
			select {
			case started <- struct{}{}:
			default:
			}
			select {
			case <-gate:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return digestHandler(ctx, t, f)
	}
}

// outcome is what a Do returned.
type outcome struct {
	r   []Result
	err error
}

// doAsync runs do in the background; the test reads its outcome later.
func doAsync(do func() ([]Result, error)) <-chan outcome {
	done := make(chan outcome, 1)
	go func() { r, err := do(); done <- outcome{r, err} }()
	return done
}
