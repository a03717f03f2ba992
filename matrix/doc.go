// Package matrix multiplies large matrices on a grid of peers with [Strassen]'s
// algorithm: a coordinator leases idle workers to a client, the client splits
// its product into seven smaller ones, sends one to each worker, and combines
// the answers. It is the course's distributed-multiplication lab, built
// properly on gonum (gonum.org/v1/gonum/mat). The same computation also runs
// on RabbitMQ work queues (see "Two ways to run").
//
// # Strassen's seven products
//
// Cut A (r×k) and B (k×c) into quadrants. The schoolbook block product needs
// eight block multiplications (C11 = A11·B11 + A12·B21, and so on). Strassen
// (1969) needs seven, at the price of more additions:
//
//	M1 = (A11 + A22)(B11 + B22)        C11 = M1 + M4 − M5 + M7
//	M2 = (A21 + A22) B11               C12 = M3 + M5
//	M3 = A11 (B12 − B22)               C21 = M2 + M4
//	M4 = A22 (B21 − B11)               C22 = M1 − M2 + M3 + M6
//	M5 = (A11 + A12) B22
//	M6 = (A21 − A11)(B11 + B12)
//	M7 = (A12 − A22)(B21 + B22)
//
// Each level therefore does 7/8 of the multiplications of the level above
// (one saved in eight, 12.5%), for 18 additions of half-size blocks. Applied
// recursively to n×n matrices the cost falls from n³ to n^log2(7) ≈ n^2.807
// multiplications; in practice the extra additions and temporaries only pay
// above a few hundred rows, so the recursion stops at a cutoff and hands the
// block to an ordinary (blocked, parallel) matrix multiply: gonum's Mul on
// the kernel (see "The kernel" below).
// Strassen is that local algorithm. Odd dimensions are padded with one zero
// row or column before a split and the padding is stripped from the result,
// so any shapes work, not only powers of two. Strassen is slightly less
// accurate than the schoolbook product (the additions mix magnitudes); the
// tests hold it to 1e-9·n·max|a|·max|b| of gonum's answer.
//
// # The grid
//
//	           (1) register + heartbeats
//	worker ×N ----------------------------> coordinator (Registry: peer table,
//	    ^                                        ^        FIFO queue, leases)
//	    | (4) task: M_i operands                 | (2) acquire 7 --> status … grant
//	    | (5) result: M_i                        | (6) release (or the lease expires)
//	    +---------------------------- client ----+
//	                     (3) split, (7) combine C11..C22, strip padding
//
// Step by step:
//
//  1. Each Worker listens for tasks and registers its address with the
//     Coordinator over a TCP connection it keeps open, sending a heartbeat
//     every HeartbeatInterval. The coordinator removes the peer when the
//     connection drops or a heartbeat is later than HeartbeatTimeout.
//  2. A Client asks the coordinator for seven peers (Acquire). The request
//     joins a FIFO queue; while it waits the coordinator streams Status frames
//     (position, free peers); when seven are free it answers with a Lease: the
//     addresses, a lease ID and an expiry.
//  3. The client pads A and B to even dimensions and cuts them into quadrant
//     views (no copy).
//  4. It opens one connection per product and streams the two operands,
//     computing X ± Y row by row straight into the send buffer: the operand
//     sums are never stored.
//  5. Each worker multiplies its pair with the kernel below its Cutoff and
//     local Strassen above, and sends the product back. A worker may itself
//     hold a Client and distribute one level deeper (DistributeAbove); tasks
//     carry their depth and are never forwarded at MaxDepth, and a worker that
//     cannot get peers within its AcquireTimeout computes locally.
//  6. The client releases the lease; a long multiplication renews it at a
//     third of its TTL.
//  7. It combines the seven products into C and strips the padding.
//
// Fallbacks: when seven peers are not granted within AcquireTimeout (or the
// coordinator cannot be reached) the client computes locally, like the
// course's "limited" flag. When a worker fails mid-task (connection reset,
// error frame) that product is re-sent to another peer of the lease not
// known to have failed, and computed locally when none is left. When a
// worker misses the task's deadline, its task is not abandoned: a backup
// goes to the next peer (or is computed locally) and the two race, as
// MapReduce's backup tasks do; the first answer wins and the other is
// cancelled. A stopped worker thus costs one deadline, and a deadline too
// short for a merely slow worker costs duplicate work, never a wrong or a
// missing product. A peer that failed, or was late and lost to its backup,
// is dropped from the lease and from the coordinator's table (a drop
// frame), so that no one is granted it again until it registers again.
// Report says which happened.
//
// # Two ways to run: the grid and RabbitMQ
//
// Where the seven products run is one small interface, [Executor]:
// [MultiplyOn] splits A and B, hands the seven [Product]s to an executor
// and combines what comes back, without knowing where they ran. Two
// executors ship with the package:
//
//   - [Client], the course's TCP grid above: a coordinator leases workers,
//     the client talks to each directly. It fits the lab and one LAN: no
//     other software to run, the lowest latency, and every step visible.
//   - [AMQPExecutor], RabbitMQ work queues (its tutorials 2 and 6 and its
//     reliability guide): each product is a persistent task on a durable
//     queue, published with publisher confirms; its two operands (in the
//     wire format below) stay with the executor, and the worker that takes
//     the task fetches them over the broker, transient, on direct
//     reply-to. [AMQPWorker]s are competing consumers with manual
//     acknowledgements and a prefetch ([AMQPConfig.Prefetch], two products
//     by default, so that a worker fetches the next operands while the
//     broker confirms the last result); each product comes back on the
//     job's reply queue, persistent, matched by correlation ID. It fits
//     when the workers outgrow the grid: many machines, workers that come
//     and go, tasks that must survive a coordinator restart. The broker is
//     one more thing to run, and every byte crosses it twice.
//
// On RabbitMQ one multiplication flows like this:
//
//	AMQPExecutor --(1) M1..M7, persistent, confirmed--> [task queue]
//	     |    ^      (names and lengths only)                |  (2) prefetch
//	     |    |                                              v
//	     |    +--(3) "operands of M3?"--[blob queue]<---- AMQPWorker xN
//	     +-------(4) operands, transient, direct reply-to ------>|
//	     ^                                                       |
//	     +---(5) result, by correlation ID---[reply queue]<------+
//	                                             (persistent; ack after confirm)
//	     dead after MaxDeliveries --> [dead-letter queue] --> ErrDeadLettered
//
// Why the operands travel apart: a durable task queue (a quorum queue)
// writes each message to its log and syncs it before delivering it, and
// the operands are 2/3 of the bytes; they are a pure function of the
// matrices the executor holds, so they need no disk. Only the task (that
// product i is owed) and the product itself (the work done) must outlive
// a process.
// Both give [Strassen]'s answer bit for bit, because a product is a pure
// function of its operands: whichever worker computes it, however often,
// the bits are the same. That is what makes RabbitMQ's at-least-once
// delivery safe. A worker acknowledges a task only after its result is
// confirmed by the broker, so a worker that dies mid-task (kill -9) leaves
// the task unacknowledged and the broker gives it to another worker; a
// worker that dies after publishing but before acknowledging makes the
// product arrive twice, and the second copy, recognised by its task ID, is
// not counted. A task that fails on every one of [AMQPConfig.MaxDeliveries]
// deliveries (a worker's [Limits] refuse it, say) goes to the dead-letter
// queue and [MultiplyOn] returns an error matching [ErrDeadLettered] that
// names the product and the worker's reason, instead of waiting for ever.
// A lost broker connection is retried with back-off on both sides; tasks
// already confirmed stay queued. A task larger than the broker's maximum
// message size ([AMQPConfig.MaxMessage], 128 MiB as RabbitMQ ships: n up
// to 5,792) is refused before it is sent, with [ErrTooLarge].
//
// A coordinator that restarts resumes its work when it names it:
// with [AMQPConfig.Job] set (the example's -job), each multiplication's
// products form a job named from it and the call's number, and each
// task ID is the product's number and a SHA-256 of its operands. A
// new process with the same name multiplying the same matrices finds the
// tasks its predecessor left queued and the products already computed on
// the reply queue, and takes each once by task ID; a product computed
// from other operands has another ID and is never taken. The queues of
// a named job stay on the broker until its last product arrives, then
// are deleted: [AMQPExecutor.Close] leaves them, so that a restart can
// resume. Tasks still queued are published again (they cannot be told
// from lost ones), so a worker may compute one twice; the answer is the
// same. While no executor of the job runs, workers cannot fetch the
// operands of its queued tasks: each waits up to a minute for them and
// puts the task back at the end of the queue without counting a delivery,
// so the tasks wait for the coordinator however long it is away.
// Without a name the job is random, and a restart
// starts over.
//
// BenchmarkTransports measures n = 2048, RabbitMQ against the TCP grid
// (amqp/tcp, goal at most 1.5) and gonum's Mul, in one run. On a quiet
// run of the earlier design (operands inside the persistent tasks,
// prefetch 1) RabbitMQ took 2.316 s against the grid's 1.276 s with 2
// workers (1.82) and 1.913 against 1.203 s with 7 (1.59). This design, in
// three runs one after another on the idle 2-core machine (load average
// under 2, RabbitMQ on the same machine; seconds, RabbitMQ / grid):
//
//	             run 1                run 2                run 3
//	2 workers    1.929/1.325  1.46    2.277/1.814  1.26    2.358/2.017  1.17
//	7 workers    2.102/1.977  1.06    2.159/1.626  1.33    1.982/1.627  1.22
//
// (gonum's Mul took 2.15 to 2.45 s in the same runs: that day's machine
// was slower than the earlier design's, so compare the ratios.) The
// broker carried 176.2 MB per multiplication in every run, 1.000 times the
// minimum for the block layout (the 14 operand blocks and 7 products of
// 1024x1024 float64; frame headers add 35 bytes a task and 26 a result),
// and wrote 59 MB of it to its disk (the products, and the small tasks)
// where the earlier design wrote 176 MB (RabbitMQ's write_bytes in /proc
// around BenchmarkTransports/n=2048/workers=2, two runs of each).
//
// # The kernel: gonum or OpenBLAS
//
// Every block product, a Strassen leaf on a worker or on the client, and
// the local baseline of [Compare], is one mat.Dense.Mul, which calls
// blas64.Gemm: the Dgemm of the BLAS implementation the process installed
// with blas64.Use. [Kernel] names it.
//
//   - The default build installs nothing: gonum's pure-Go Dgemm, which
//     works on a fresh machine with nothing else installed.
//   - Built with -tags openblas (cgo, and Debian's libopenblas-dev),
//     blas_openblas.go installs OpenBLAS's cblas_dgemm in its init, for
//     every gonum call in the process: go test -tags openblas ./matrix,
//     go run -tags openblas ./examples/matrix -local -n 2048.
//
// Why a minimal cgo call rather than gonum's netlib binding
// (gonum.org/v1/netlib/blas/netlib): the binding still builds with Go
// 1.26 and gonum v0.17, but its newest version dates from 2019, it links
// only when the user sets CGO_LDFLAGS=-lopenblas by hand (without it the
// link fails on cblas_zswap), and it would add a module to go.mod for one
// routine. The grid calls only Dgemm, so the tagged file embeds gonum's
// own Implementation (every other routine stays gonum's) and overrides
// Dgemm with one cblas_dgemm call; arguments gonum would reject go to
// gonum's Dgemm, so the panics are gonum's. The tagged tests hold OpenBLAS
// to gonum's products: Dgemm within 2γ_k(|α||A||B| + |β||C|) entry by entry
// (γ_k = k·u/(1 − k·u), u = 2⁻⁵³), and Strassen, Dense.Mul and the grid
// within Higham's Strassen bound and 1e-12·n·max|a|·max|b|.
//
// Threads. OpenBLAS's thread count is process-wide, so it cannot be a
// property of one worker of a process: [SetKernelThreads] sets it for the
// whole process, [WorkerConfig.Threads] calls it when the worker is made,
// and [StartLocal], whose workers share one process and one machine, gives
// them max(1, cores/workers) each (threads × workers ≤ cores). A worker
// alone on a machine keeps OpenBLAS's default, a thread per core; several
// worker processes on one machine should each get -threads cores/workers.
// [Compare]'s baseline, the one call a user would make instead, runs with a
// thread per core and puts the setting back. gonum's pure-Go Dgemm
// ignores all this: it always spreads a product over GOMAXPROCS
// goroutines.
//
// The cutoff follows the kernel: [DefaultCutoff] is 256 on gonum's kernel
// and 4096 on OpenBLAS, whose Dgemm leaves no room for Strassen's extra
// additions at the sizes the grid sends (BenchmarkStrassenVsGonum,
// cpu-ratio, Strassen's CPU time over one Dense.Mul's at one OpenBLAS
// thread: 2.08 and 1.22 at n=1024 with cutoffs 256 and 512; 1.77, 1.14 and
// 1.07 at n=2048 with cutoffs 256, 512 and 1024; on gonum's kernel 0.78,
// 0.82 and 1.02 at n=1024 with cutoffs 128, 256 and 512).
//
// # The grid against one local multiply
//
// BenchmarkKernelGrid multiplies n×n matrices on the in-process TCP grid
// (2 or 7 workers) and with one local Dense.Mul on the same kernel, in the
// same run. One iteration each (-benchtime 1x), on this machine's 2 cores
// while seven other engineers' jobs ran (load average above 12: each
// multiply got 0.1 to 0.8 of a core, grid-cores and local-cores), in
// seconds and GFLOP/s (2n³/s) per multiply:
//
//	kernel    n     workers  grid-s  GFLOP/s  local-s  GFLOP/s  ratio
//	openblas  2048  2          4.02     4.27     5.06     3.40   0.79
//	openblas  2048  7          2.79     6.17     3.16     5.43   0.88
//	openblas  4096  2         20.1      6.83    26.1      5.27   0.77
//	openblas  4096  7         22.2      6.20    22.1      6.21   1.00
//	gonum     2048  2          4.07     4.22     9.58     1.79   0.43
//	gonum     2048  7          2.86     6.00    16.2      1.06   0.18
//	gonum     4096  2         27.5      5.01   146        0.94   0.19
//	gonum     4096  7         23.2      5.91   112        1.23   0.21
//
// Under such load the wall-clock ratio says little. A two-thread OpenBLAS
// call suffers most: its threads work in lock step, and each waits while
// the other is descheduled (3.16 to 5.06 s for n=2048 here, where numpy's
// a @ b on the same OpenBLAS took 0.105 s, 163 GFLOP/s, on the idle machine
// when issue 26 was filed). CPU time, which the load disturbs least, is the
// fairer comparison (grid-cpu-s, local-cpu-s, cpu-ratio; kernel-cpu-s is
// the CPU of the Dgemm calls, timed at blas64, exact for OpenBLAS at one
// thread and a lower bound for gonum's goroutines), with the grid's phases
// in wall seconds (send-s, compute-s, kernel-s: the part of compute when a
// Dgemm ran, combine-s), w workers:
//
//	kernel    n     w  grid-cpu  local-cpu  cpu-ratio  kernel-cpu  send  compute  kernel  combine
//	openblas  2048  2      0.80       0.56       1.44        0.50  1.01     2.74    2.87     0.24
//	openblas  2048  7      0.69       0.48       1.42        0.44  0.45     1.99    1.98     0.35
//	openblas  4096  2      4.71       4.73       1.00        3.51  3.07    15.6    15.9      1.41
//	openblas  4096  7      4.89       4.71       1.04        3.76  2.11    18.9    18.6      1.20
//	gonum     2048  7      2.37       3.61       0.66        0.21  0.95     1.90    2.45     0.01
//	gonum     4096  7     17.6       30.1        0.59        1.84  1.68    21.1    21.4      0.42
//
// (kernel can exceed compute by the products a worker finished before the
// last operand was sent.) What this says:
//
//   - With OpenBLAS the grid is within the 2× goal in CPU terms: 1.42 to
//     1.44 times one local multiply's CPU at n=2048 and 1.00 to 1.04 at
//     n=4096; in wall time under this load it was faster (0.77 to 1.00).
//     Over four runs (this one, two more with -count 2, and one at n=2048
//     alone) the ratios ranged, at n=2048, 0.78 to 1.55 in wall time and
//     1.12 to 1.76 in CPU; at n=4096, 0.77 to 1.37 and 0.96 to 1.14. Its
//     wall time on an idle machine was not measured (no idle machine).
//   - Where the rest goes, n=2048, 7 workers: the seven products took
//     0.44 CPU-s in the kernel against 0.48 for the local call (one level
//     of Strassen saves an eighth of the flops); the other 0.25 CPU-s move
//     bytes: 14 operands of 1024² float64 (112 MiB) formed as X ± Y and
//     written to loopback TCP, 7 products (56 MiB) read back, decoded and
//     combined. Bytes grow as n², flops as n³: at n=4096 that overhead
//     (1.1 to 1.2 CPU-s) is paid back by the kernel's saving (3.5 to 3.8
//     CPU-s against 4.7; more than an eighth, as one-thread calls spend no
//     CPU waiting for a partner thread), and the grid breaks even.
//   - On gonum's pure-Go kernel the grid beats one Dense.Mul (0.18 to 0.43
//     of its wall time, 0.57 to 0.83 of its CPU): three Strassen levels (one
//     on the grid, two on each worker above the cutoff 256) pay there, and
//     the kernel is slow enough that moving the bytes costs little beside it.
//   - Both kernels agree: err/tol, max|grid − local| over
//     1e-12·n·max|a|·max|b|, was 4.5e-5 to 5.3e-4 in every run.
//
// # Deadlines: a stopped worker is not a slow one
//
// A worker process stopped with SIGSTOP (or a host that froze) keeps its
// TCP port: the kernel still completes connections, but nothing reads the
// task or answers, and a client without a deadline waits forever. A fixed
// deadline does not fit either, since a 2048×2048 block takes a thousand
// times longer than a 200×200 one. So each task's deadline follows its size
// and its worker's measured speed:
//
//	deadline = TaskTimeout + 4 · 2rkc / speed(worker)
//
// 2rkc is the work of an r×k by k×c block product; speed is the work per
// second the client measured on that worker's earlier answers (dial to
// result, so the network counts), smoothed over answers. A worker not yet
// measured is assumed as slow as the slowest measured one, or, before any
// answer, 64 times slower than this machine's own gonum Mul, measured once.
// [ClientConfig.TaskTimeout] (default [DefaultTaskTimeout]) is the floor,
// for small tasks whose time is mostly the network.
//
// Servers bound what a stranger can hold: the coordinator and each worker
// serve at most [CoordinatorConfig.MaxConns] and [WorkerConfig.MaxConns]
// connections at once and answer the next with an error frame; a worker
// closes a task connection that makes no progress (no byte read while a task
// arrives, none written while a result leaves, or no new task) within
// [WorkerConfig.IdleTimeout]; the coordinator closes a control connection
// silent for IdleTimeout. And a task's size is bounded before anything is
// allocated: see [Limits].
//
// # Leases and FIFO: why a lock alone is not enough
//
// Every change to the table (register, heartbeat, remove, grant, release,
// renew, expiry) happens under one mutex in [Registry], and the tests run under
// the race detector. But the lock only makes each change atomic. It does not
// decide who is served next, and it does not bound how long peers stay taken:
//
//   - Order. A plain "lock, look for seven free peers, unlock, retry" loop lets
//     whichever goroutine happens to retry first win; a request for seven can
//     be starved forever by a stream of requests for one. Registry keeps an
//     explicit queue and serves only its head: a request waits behind the head
//     even when enough peers are free for it. That is strict first come, first
//     served, at the price of head-of-line blocking.
//   - Holding. A lock protects the table, not the peers: a client that takes
//     seven peers and then crashes, hangs or is partitioned never releases
//     them, and no lock can tell. A lease is a grant with an expiry; the
//     coordinator's sweep reclaims the peers of an expired lease, so a vanished
//     holder costs at most one TTL. A live holder renews. Releasing or
//     renewing an expired lease fails with ErrUnknownLease.
//
// Waiting happens outside the lock: each waiter has a channel that receives
// its grant and another that receives its latest [Status], replaced rather
// than queued so that a slow reader never blocks the table.
//
// # Centralized or decentralized
//
// The course contrasts a central server that knows every peer with a fully
// decentralized P2P network where peers find each other by gossip or flooding
// (see package p2p). This package is centralized on purpose: the coordinator
// sees the whole table, so it can grant seven peers atomically, order
// requests fairly and reclaim expired leases; a decentralized design would
// need a distributed agreement on who holds which peer, and would offer at
// best eventual fairness. The price is a single point of failure and a
// bottleneck: when the coordinator is down no new leases are granted (the
// client computes locally), and every request passes through one process.
// The data itself never goes through the coordinator: operands and products
// flow directly between client and workers, so the coordinator's load is a
// few small control frames per multiplication.
//
// # Wire format
//
// Everything is TCP with one frame format, all integers little-endian:
//
//	frame    = version:uint8 type:uint8 length:uint64 body[length]
//	matrix   = rows:uint32 cols:uint32 data:float64[rows·cols]   (row-major, IEEE 754 LE)
//	string   = len:uint16 bytes[len]
//
//	'R' register   addr:string
//	'H' heartbeat  (empty)                          answered with 'K'
//	'A' acquire    n:uint16 ttl_ms:uint32 holder:string
//	'S' status     position:uint32 waiting:uint32 free:uint32 peers:uint32
//	'G' grant      lease:uint64 ttl_ms:uint32 expires_unix_ns:uint64 holder:string
//	               count:uint16 addr:string…
//	'L' release    lease:uint64                     answered with 'K'
//	'N' renew      lease:uint64 ttl_ms:uint32       answered with 'G'
//	'D' drop       lease:uint64 peer:string         answered with 'K'
//	'K' ok         (empty)
//	'E' error      text:string
//	'T' task       id:uint64 depth:uint8 A:matrix B:matrix
//	'C' result     id:uint64 C:matrix
//
// The Decoder checks the frame length against [Limits] (MaxControl for control
// frames, MaxElements for matrix frames) and each matrix's dimensions against
// MaxDim, MaxElements and the bytes left in the frame before it allocates,
// and checks that A's columns equal B's rows, and that the product and the
// operands padded for [Strassen] fit MaxElements, before reading B: a task of
// A 65536×1 and B 1×65536 is 1 MiB on the wire but would be a 32 GiB
// product, and is refused with [ErrTooLarge]. A bad body is
// skipped so the connection stays usable (InSync); a bad header closes it.
// The version byte ([Version], 1) starts every frame: a decoder refuses a
// frame of another version, naming both, rather than misread it, and an
// incompatible change of the format takes a new version.
//
// Matrix data is copied straight out of the read buffer (and into a reused
// buffer when encoding, row by row, so that the operand sums X ± Y are
// streamed without being stored); the float64 arrays have the one wire
// form that package mlcluster uses too (internal/floatwire), a memmove on
// little-endian machines, so the codec allocates nothing per element and
// runs at several GB/s. gonum's mat.Dense MarshalBinaryTo and
// UnmarshalBinaryFrom write the same bytes per value, one value at a time,
// and would need every operand sum materialised first:
// BenchmarkCodecVsGonum measured them 5 to 18 times slower on the
// 512×512 and 1024×1024 blocks the grid sends, so the grid keeps this
// codec. FuzzDecode checks that whatever decodes encodes to a frame that
// decodes the same.
//
// # Lifecycle and defaults
//
// A zero field of a config means its default (as in net/http), so
// CoordinatorConfig{} is [DefaultCoordinatorConfig]; an invalid value is
// refused with an error naming the field. [NewCoordinator] and [NewWorker]
// bind their listeners, so Addr is known at once; [Coordinator.Run] and
// [Worker.Run] serve until their context ends and have released every
// goroutine and socket when they return. [Coordinator.Close],
// [Worker.Close], [Client.Close], [LocalCluster.Close], [AMQPExecutor.Close],
// [AMQPWorker.Close] and [LocalAMQP.Close] are idempotent and wait for what
// they own, a running Run included; after them calls return an error
// matching [ErrClosed].
//
// # Limits
//
// One Strassen level on the grid: the client does 7/8 of the schoolbook work
// remotely and the additions locally. Peers are trusted to compute correctly;
// results are checked for shape, not value. Leases are not fenced: a holder
// whose lease expired while it was still sending may share a peer with the
// next holder, which costs speed, not correctness, because workers serve
// every connection independently. Strict FIFO means a large request at the
// head delays smaller ones behind it.
//
// # References
//
//   - V. Strassen, "Gaussian elimination is not optimal", Numerische
//     Mathematik 13, 354–356 (1969).
//   - C. Gray, D. Cheriton, "Leases: an efficient fault-tolerant mechanism for
//     distributed file cache consistency", SOSP 1989.
//   - N. J. Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed.,
//     §23 (fast matrix multiplication), SIAM 2002.
package matrix
