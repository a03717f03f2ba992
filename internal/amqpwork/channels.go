package amqpwork

import (
	"fmt"

	amqp "github.com/rabbitmq/amqp091-go"
)

// channels are what a job's session works with on one connection: a
// channel consuming the job's results, dead letters and blob requests,
// and a channel in confirm mode publishing its tasks. A plain Do opens
// them for its session and closes them after; an open [Job] keeps them
// from round to round while its connection lasts, which saves each round
// the opening of two channels and three consumers (round trips to the
// broker that a round of small tasks would otherwise mostly wait for).
type channels struct {
	conn                    *amqp.Connection
	ch, pub                 *amqp.Channel
	closed, pubClosed       <-chan *amqp.Error
	results, dead, blobReqs <-chan amqp.Delivery
}

// openChannels opens the channels of job j on conn, declares the queues
// where conn has not declared them, and starts consuming. first asks to take, before consuming,
// what an earlier Do of the job left waiting (see [job.drain]).
func (j *job) openChannels(conn *amqp.Connection, first bool) (cs *channels, err error) {
	cs = &channels{conn: conn}
	defer func() {
		if err != nil {
			cs.close()
		}
	}()
	if cs.ch, err = conn.Channel(); err != nil {
		return nil, err
	}
	cs.closed = cs.ch.NotifyClose(make(chan *amqp.Error, 1))
	if err := j.c.declareTasksOn(conn, cs.ch); err != nil {
		return cs, err
	}
	if j.open == nil || !j.open.declaredOn(conn) {
		if err := declareJob(cs.ch, j.n, j.name); err != nil {
			return cs, err
		}
		if j.open != nil {
			j.open.declared(conn)
		}
	}
	if first {
		// What is waiting already belongs to an earlier Do of this job:
		// take it before publishing, so that answered tasks are not sent
		// again.
		if err := j.drain(cs.ch); err != nil {
			return cs, err
		}
	}
	if cs.results, err = cs.ch.Consume(j.n.results, "", false, false, false, false, nil); err != nil {
		return cs, err
	}
	if cs.dead, err = cs.ch.Consume(j.n.dead, "", false, false, false, false, nil); err != nil {
		return cs, err
	}
	if cs.blobReqs, err = cs.ch.Consume(j.n.blobs, "", false, false, false, false, nil); err != nil {
		return cs, err
	}
	if cs.pub, err = conn.Channel(); err != nil {
		return cs, err
	}
	if err := cs.pub.Confirm(false); err != nil {
		return cs, fmt.Errorf("amqpwork: enabling publisher confirms: %w", err)
	}
	cs.pubClosed = cs.pub.NotifyClose(make(chan *amqp.Error, 1))
	return cs, nil
}

// usable reports whether the channels are still open on conn.
func (cs *channels) usable(conn *amqp.Connection) bool {
	return cs != nil && cs.conn == conn && !cs.ch.IsClosed() && !cs.pub.IsClosed()
}

// close closes both channels (what is open of them).
func (cs *channels) close() {
	if cs == nil {
		return
	}
	if cs.pub != nil {
		_ = cs.pub.Close()
	}
	if cs.ch != nil {
		_ = cs.ch.Close()
	}
}
