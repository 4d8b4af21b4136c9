package logrules

import (
	"sort"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
)

// The file filters of mutation_log::open (v2.4.0/v2.5.0
// src/replica/mutation_log.cpp; same in rdsn 2.3): which file a replay of a
// log starts from, given each file's header. Files before it stay in the log
// (learning and GC still see them) but are not replayed.

// PrivateReplayStart is the private-log filter: the last file whose header
// max decree for g is covered by lcd (the app's last committed decree),
// scanning in index order and stopping at the first file that is not. A
// header lacking g counts as 0.
func PrivateReplayStart(headers []*format.FileHeader, g gpid.Gpid, lcd int64) int {
	begin := 0
	for i, h := range headers {
		if h.MaxDecree(g) > lcd {
			break
		}
		begin = i
	}
	return begin
}

// SharedReplayStart is the shared-log filter, with cond mapping each loaded
// replica to its last committed decree after its plog replay: walk files
// newest to oldest carrying the max decrees of every file up to and
// including the current one (the header of the file after it); a file can
// be skipped when every replica not yet kicked out is covered, walking
// replicas in gpid order and stopping at the first that blocks. Replay
// starts after the newest skippable file. The newest file is never skipped;
// with no replica loaded nothing is filtered.
func SharedReplayStart(headers []*format.FileHeader, cond map[gpid.Gpid]int64) int {
	if len(cond) == 0 || len(headers) == 0 {
		return 0
	}
	gpids := make([]gpid.Gpid, 0, len(cond))
	for g := range cond {
		gpids = append(gpids, g)
	}
	sort.Slice(gpids, func(i, j int) bool { return gpids[i].Less(gpids[j]) })
	kicked := map[gpid.Gpid]bool{}
	var maxDecrees *format.FileHeader // header of the file after the current one
	for i := len(headers) - 1; i >= 0; i-- {
		ignore := i != len(headers)-1
		if ignore {
			for _, g := range gpids {
				if kicked[g] {
					continue
				}
				e, found := maxDecrees.Lookup(g)
				if !found || e.MaxDecree <= cond[g] {
					kicked[g] = true
				} else {
					ignore = false
					break
				}
			}
		}
		if ignore {
			return i + 1
		}
		maxDecrees = headers[i]
	}
	return 0
}
