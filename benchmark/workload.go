package benchmark

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/format/rrdb"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/latency"
)

// recorder collects one client's latencies.
type recorder struct {
	lat []int64 // ns
}

// load is what one run of the workload measured.
type load struct {
	recs          []*recorder
	elapsed       time.Duration
	before, after devSnapshot // the disks' counters around the run
}

func summarize(mode string, cfg WriteConfig, ld load) WriteResult {
	var all []int64
	for _, r := range ld.recs {
		all = append(all, r.lat...)
	}
	res := WriteResult{Mode: mode, Clients: cfg.Clients, Sync: cfg.Sync, Ops: int64(len(all)), Seconds: ld.elapsed.Seconds()}
	res.QPS = float64(res.Ops) / ld.elapsed.Seconds()
	res.Lat = latency.Of(all)
	res.Device = ld.after.use(ld.before, res.Ops, ld.elapsed)
	return res
}

func gpidOf(r int) gpid.Gpid { return gpid.Gpid{App: 1, Partition: int32(r)} }

// workload runs cfg.Clients clients for cfg.Duration; each op picks a
// replica at random and calls do with a PUT mutation of that replica (the
// mutation and its data are the client's own and reused after do
// returns).
func workload(cfg WriteConfig, do func(client int, g gpid.Gpid, m *format.Mutation) error) (load, error) {
	recs := make([]*recorder, cfg.Clients)
	devs := devices(cfg.Dirs)
	before := snapshotDevices(devs)
	var decrees = make([]atomic.Int64, cfg.Replicas)
	var stop atomic.Bool
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	for c := range cfg.Clients {
		recs[c] = &recorder{lat: make([]int64, 0, 1<<14)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			value := bytes.Repeat([]byte{'v'}, cfg.ValueSize)
			data := rrdb.EncodePut(rrdb.Put{HashKey: []byte(fmt.Sprintf("client%06d", c)), SortKey: []byte("sortkey0"), Value: value}, 0)
			m := &format.Mutation{Ballot: 1, Updates: []format.Update{{Code: "RPC_RRDB_RRDB_PUT", SerializationType: 1, Data: data}}}
			for !stop.Load() {
				r := rng.IntN(cfg.Replicas)
				g := gpidOf(r)
				d := decrees[r].Add(1)
				m.Gpid, m.Decree, m.LastCommittedDecree, m.Timestamp = g, d, d-1, time.Now().UnixMicro()
				t0 := time.Now()
				if err := do(c, g, m); err != nil {
					firstErr.CompareAndSwap(nil, &err)
					stop.Store(true)
					return
				}
				recs[c].lat = append(recs[c].lat, int64(time.Since(t0)))
			}
		}()
	}
	time.Sleep(cfg.Duration)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	after := snapshotDevices(devs)
	if p := firstErr.Load(); p != nil {
		return load{}, *p
	}
	return load{recs: recs, elapsed: elapsed, before: before, after: after}, nil
}
