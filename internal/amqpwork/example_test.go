package amqpwork_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/netlab-go/netlab/internal/amqpwork"
)

// A coordinator and a worker on one task queue. The handler upper-cases
// its task; a real one multiplies matrix blocks or assigns points to
// centroids. It needs a broker (AMQP_URL), so it has no Output line; the
// package's tests run the same flow against RabbitMQ.
func ExampleClient_Do() {
	ctx := context.Background()
	cfg := amqpwork.Config{Queue: "netlab.example.tasks"}

	w, err := amqpwork.NewWorker(cfg, func(ctx context.Context, t amqpwork.Task,
		fetch amqpwork.Fetcher) ([]byte, error) {
		return []byte(strings.ToUpper(string(t.Body))), nil
	})
	if err != nil {
		log.Fatal(err)
	}
	workerCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { _ = w.Run(workerCtx) }()

	c, err := amqpwork.Dial(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	results, err := c.Do(ctx, "shout-1", []amqpwork.Task{
		{ID: "a", Body: []byte("hello")},
		{ID: "b", Body: []byte("queue")},
	})
	var dead *amqpwork.DeadLetterError
	if errors.As(err, &dead) {
		log.Fatalf("task %s given up: %s", dead.TaskID, dead.Reason)
	}
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		fmt.Println(r.TaskID, string(r.Body))
	}
}

// Iterations of one computation as rounds of one open job: the job's
// queues are declared once and deleted by Close.
func ExampleClient_Open() {
	ctx := context.Background()
	c, err := amqpwork.Dial(ctx, amqpwork.Config{Queue: "netlab.example.tasks"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	job, err := c.Open(ctx, "kmeans-7")
	if err != nil {
		log.Fatal(err)
	}
	defer job.Close()
	for it := 0; it < 10; it++ {
		if _, err := job.Do(ctx, []amqpwork.Task{{ID: "shard-0"}, {ID: "shard-1"}}); err != nil {
			log.Fatal(err)
		}
	}
}

// A blob's key is its content's SHA-256: publishing the same data twice
// gives one key, and a worker's cache never confuses two contents.
func ExampleBlobKey() {
	fmt.Println(amqpwork.BlobKey([]byte("shard 0 rows")))
	fmt.Println(amqpwork.BlobKey([]byte("shard 0 rows")) == amqpwork.BlobKey([]byte("shard 1 rows")))
	// Output:
	// 28e5457294330b667211b6f25e324dd59665d73e263ff1842c08e5a5ac5f68f7
	// false
}
