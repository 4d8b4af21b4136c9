// Command etcdwal is the etcd-wal mode of `waltool bench write`: the same
// workload (clients writing PUT mutations to replicas chosen at random),
// written to go.etcd.io/etcd/server/v3/storage/wal, one WAL per replica.
// It lives in its own Go module so that the main module does not depend on
// etcd; waltool builds and runs it and merges its JSON.
//
// Each entry's data is the encoded Pegasus mutation, so every mode writes
// the same bytes per op. Appends to one replica are batched the way raft
// batches a Ready (requests that arrive while a Save is in flight go out
// together in the next Save), which is also how the plog modes batch; each
// WAL then fdatasyncs on its own, like plog-per-file. --sync none uses
// SetUnsafeNoFsync (etcd's --unsafe-no-fsync).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/server/v3/storage/wal"
	"go.etcd.io/raft/v3/raftpb"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/proto"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/format/rrdb"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/latency"
)

// result has the fields of waltool's benchWriteResult.
type result struct {
	Mode    string     `json:"mode"`
	Streams int        `json:"streams"`
	Clients int        `json:"clients"`
	Sync    string     `json:"sync"`
	Ops     int64      `json:"ops"`
	Seconds float64    `json:"seconds"`
	QPS     float64    `json:"qps"`
	Lat     latency.US `json:"lat_us"`
	Writes  int64      `json:"writes,omitempty"`
	Bytes   int64      `json:"bytes,omitempty"`
}

// stream is one replica's WAL with leader/follower batching.
type stream struct {
	w       *wal.WAL
	mu      sync.Mutex
	pending []req
	writing bool
	index   uint64
	saves   int64
	bytes   int64
}

type req struct {
	data []byte
	done chan error
}

func (s *stream) append(data []byte, done chan error) error {
	s.mu.Lock()
	s.pending = append(s.pending, req{data, done})
	if !s.writing {
		s.writing = true
		for len(s.pending) > 0 {
			batch := s.pending
			s.pending = nil
			s.mu.Unlock()
			ents := make([]*raftpb.Entry, len(batch))
			for i, r := range batch {
				s.index++
				ents[i] = &raftpb.Entry{Term: proto.Uint64(1), Index: proto.Uint64(s.index), Type: raftpb.EntryType_EntryNormal.Enum(), Data: r.data}
				s.bytes += int64(len(r.data))
			}
			st := &raftpb.HardState{Term: proto.Uint64(1), Vote: proto.Uint64(1), Commit: proto.Uint64(s.index)}
			err := s.w.Save(st, ents)
			s.saves++
			for _, r := range batch {
				r.done <- err
			}
			s.mu.Lock()
		}
		s.writing = false
	}
	s.mu.Unlock()
	return <-done
}

func main() {
	replicas := flag.Int("replicas", 64, "replicas (WALs)")
	clients := flag.Int("clients", 32, "concurrent clients")
	valueSize := flag.Int("value-size", 1000, "bytes per PUT value")
	duration := flag.Duration("duration", 10*time.Second, "how long to run")
	dirs := flag.String("dirs", os.TempDir(), "comma-separated directories")
	syncMode := flag.String("sync", "batch", "none or batch")
	keep := flag.Bool("keep", false, "keep the WALs")
	flag.Parse()
	if err := run(*replicas, *clients, *valueSize, *duration, strings.Split(*dirs, ","), *syncMode, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "etcdwal:", err)
		os.Exit(1)
	}
}

func run(replicas, clients, valueSize int, duration time.Duration, dirs []string, syncMode string, keep bool) error {
	var runDirs []string
	for _, d := range dirs {
		rd, err := os.MkdirTemp(d, "waltool-bench-etcd-wal-")
		if err != nil {
			return err
		}
		runDirs = append(runDirs, rd)
	}
	defer func() {
		if !keep {
			for _, rd := range runDirs {
				os.RemoveAll(rd)
			}
		}
		unix.Sync()
	}()
	streams := make([]*stream, replicas)
	for r := range streams {
		w, err := wal.Create(zap.NewNop(), filepath.Join(runDirs[r%len(runDirs)], fmt.Sprintf("1.%d", r)), nil)
		if err != nil {
			return err
		}
		if syncMode == "none" {
			w.SetUnsafeNoFsync()
		}
		streams[r] = &stream{w: w}
	}
	// wal.Create preallocates 64 MB segments; let that settle first.
	unix.Sync()

	lats := make([][]int64, clients)
	var stop atomic.Bool
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			data := rrdb.EncodePut(rrdb.Put{HashKey: []byte(fmt.Sprintf("client%06d", c)), SortKey: []byte("sortkey0"), Value: bytes.Repeat([]byte{'v'}, valueSize)}, 0)
			m := &format.Mutation{Ballot: 1, Updates: []format.Update{{Code: "RPC_RRDB_RRDB_PUT", SerializationType: 1, Data: data}}}
			done := make(chan error, 1)
			var decree int64
			for !stop.Load() {
				r := rng.IntN(replicas)
				decree++
				m.Gpid, m.Decree, m.LastCommittedDecree, m.Timestamp = gpid.Gpid{App: 1, Partition: int32(r)}, decree, decree-1, time.Now().UnixMicro()
				// raft keeps the entry; so does this benchmark.
				payload := m.Append(nil)
				t0 := time.Now()
				if err := streams[r].append(payload, done); err != nil {
					firstErr.CompareAndSwap(nil, &err)
					stop.Store(true)
					return
				}
				lats[c] = append(lats[c], int64(time.Since(t0)))
			}
		}()
	}
	time.Sleep(duration)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	if p := firstErr.Load(); p != nil {
		return *p
	}
	res := result{Mode: "etcd-wal", Streams: replicas, Clients: clients, Sync: syncMode, Seconds: elapsed.Seconds()}
	var all []int64
	for _, l := range lats {
		all = append(all, l...)
	}
	for _, s := range streams {
		res.Writes += s.saves
		res.Bytes += s.bytes
		if err := s.w.Close(); err != nil {
			return err
		}
	}
	res.Ops = int64(len(all))
	res.QPS = float64(res.Ops) / elapsed.Seconds()
	res.Lat = latency.Of(all)
	return json.NewEncoder(os.Stdout).Encode(map[string]any{"results": []result{res}})
}
