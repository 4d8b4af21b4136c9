// Command waltool inspects, verifies, replays, garbage-collects and migrates
// the write-ahead logs of Apache Pegasus replica servers, offline.
package main

import "os"

func main() {
	ctx, stop := signalContext()
	code := runContext(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
