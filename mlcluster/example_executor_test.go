package mlcluster_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/netlab-go/netlab/mlcluster"
)

// loudExecutor is an Executor of your own: it maps every shard here, one
// after the other, and says what it was asked. AMQPExecutor does the same
// job over RabbitMQ, and a Coordinator over its TCP workers.
type loudExecutor struct{}

func (loudExecutor) Map(_ context.Context, algo mlcluster.Algorithm, step mlcluster.Step,
	shards []*mlcluster.Shard) ([]mlcluster.Partial, error) {
	fmt.Printf("%s step %q on %d shards\n", algo.Name(), step.Kind, len(shards))
	parts := make([]mlcluster.Partial, len(shards))
	for i, s := range shards {
		p, err := algo.Map(step, s)
		if err != nil {
			return nil, err
		}
		parts[i] = p
	}
	return parts, nil
}

// RunOn runs a job wherever an Executor runs its map tasks; with the same
// shard count the answer is RunLocal's, bit for bit.
func ExampleRunOn() {
	ds, _ := mlcluster.Parse(strings.NewReader("1,2\n3,4\n5,6\n7,8\n"), mlcluster.ParseOptions{})
	opt := mlcluster.LocalOptions{Shards: 2}
	res, err := mlcluster.RunOn(context.Background(), loudExecutor{}, ds, "stats", nil, opt)
	if err != nil {
		fmt.Println(err)
		return
	}
	local, _ := mlcluster.RunLocal(context.Background(), ds, "stats", nil, opt)
	fmt.Println("mean:", res.Table("mean").Data)
	fmt.Println("same as RunLocal:", fmt.Sprint(res.Tables) == fmt.Sprint(local.Tables))
	// Output:
	// stats step "moments" on 2 shards
	// mean: [4 5]
	// same as RunLocal: true
}
