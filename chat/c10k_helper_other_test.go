//go:build !linux

package chat

import (
	"fmt"
	"os"
)

// c10kHelperEnv starts the client process of BenchmarkTCPChatC10K, which
// reads its 10,000 sockets with epoll and exists on Linux only.
const c10kHelperEnv = "NETLAB_CHAT_C10K_HELPER"

func c10kHelperMain() int {
	fmt.Fprintln(os.Stderr, "chat c10k helper: the C10K clients need Linux (epoll)")
	return 1
}
