package plog

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/waltool/waltool/format"
)

// The child process of TestSIGKILLMidAppend: it appends from several
// goroutines and prints "<partition> <decree>" for every acknowledged
// mutation, until it is killed.
func TestHelperKilledWriter(t *testing.T) {
	dir := os.Getenv("PLOG_CRASH_DIR")
	if dir == "" {
		t.Skip("child process of TestSIGKILLMidAppend")
	}
	policy, _ := strconv.Atoi(os.Getenv("PLOG_CRASH_SYNC"))
	rs := replicas([]string{dir}, 4)
	w, err := Open(rs, Options{Sync: SyncPolicy(policy), Flush: FlushSyncfs, MaxFileSize: 64 << 10})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for c := 0; c < 8; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rs[c%len(rs)]
			for i := int64(1); ; i++ {
				d := int64(c)*1_000_000 + i
				// Batches of one to three mutations, up to 6 KiB: a
				// SIGKILL can cut a write between pages.
				ms := []*format.Mutation{put(r.Gpid, d, 2000)}
				for k := int64(1); k < i%3+1; k++ {
					ms = append(ms, put(r.Gpid, -(d*10+k), 2000))
				}
				if err := w.Append(r.Gpid, ms...); err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				mu.Lock()
				for _, m := range ms {
					fmt.Fprintf(out, "%d %d\n", r.Gpid.Partition, m.Decree)
				}
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// A writing process killed with SIGKILL mid-append loses no acknowledged
// mutation, under SyncNone (Pegasus's default: acknowledged after write)
// and SyncBatch: after the kill every plog opens, holds every acknowledged
// mutation, has a torn tail at worst, and takes new appends.
func TestSIGKILLMidAppend(t *testing.T) {
	for _, p := range []SyncPolicy{SyncNone, SyncBatch} {
		t.Run(p.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKilledWriter$")
			cmd.Env = append(os.Environ(), "PLOG_CRASH_DIR="+dir, "PLOG_CRASH_SYNC="+strconv.Itoa(int(p)))
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			acked := map[int32][]int64{}
			sc := bufio.NewScanner(stdout)
			n, killed := 0, false
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				if len(f) != 2 || f[0] == "error" {
					t.Fatalf("child: %s", sc.Text())
				}
				part, _ := strconv.Atoi(f[0])
				d, _ := strconv.ParseInt(f[1], 10, 64)
				acked[int32(part)] = append(acked[int32(part)], d)
				// Kill once enough is written that files have rotated; keep
				// reading what was printed before the kill.
				if n++; n == 3000 && !killed {
					cmd.Process.Kill()
					killed = true
				}
			}
			cmd.Wait()
			if !killed {
				t.Fatalf("child exited after %d acks", n)
			}
			rs := replicas([]string{dir}, 4)
			for _, r := range rs {
				got := map[int64]bool{}
				for _, d := range checkPlog(t, r) {
					got[d] = true
				}
				for _, d := range acked[r.Gpid.Partition] {
					if !got[d] {
						t.Fatalf("%s: acknowledged decree %d lost", r.Gpid, d)
					}
				}
			}
			w, err := Open(rs, Options{Sync: SyncBatch})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				if err := w.Append(r.Gpid, put(r.Gpid, 42, 10)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				checkPlog(t, r)
			}
		})
	}
}
