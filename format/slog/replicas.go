package slog

import (
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
)

// Replicas is the shared log's header map (mutation_log::_shared_log_info_map):
// each replica registered with the log, with the in-memory max decree and
// valid start offset that the header of each new file lists. It is the
// format.Header of the shared log's format.LogWriter: a mutation of a gpid
// not registered registers it (max decree 0, valid start offset 0), as
// mutation_log::update_max_decree does in the shared log. Not safe for
// concurrent use: Writer guards it.
type Replicas struct {
	m map[gpid.Gpid]*format.ReplicaLogInfo
}

// NewReplicas registers infos.
func NewReplicas(infos []format.ReplicaLogInfo) *Replicas {
	r := &Replicas{m: map[gpid.Gpid]*format.ReplicaLogInfo{}}
	for _, in := range infos {
		r.Register(in)
	}
	return r
}

// Register adds in.Gpid (or replaces its values), as opening a replica
// registers it with the shared log.
func (r *Replicas) Register(in format.ReplicaLogInfo) {
	c := in
	r.m[in.Gpid] = &c
}

// MaxDecree is g's in-memory max decree (0 if g is not registered).
func (r *Replicas) MaxDecree(g gpid.Gpid) int64 {
	if in := r.m[g]; in != nil {
		return in.MaxDecree
	}
	return 0
}

// Entry is g's entry, registered on first use.
func (r *Replicas) Entry(g gpid.Gpid) *format.ReplicaLogInfo {
	in := r.m[g]
	if in == nil {
		in = &format.ReplicaLogInfo{Gpid: g}
		r.m[g] = in
	}
	return in
}

// Entries lists every registered replica, in no order.
func (r *Replicas) Entries() []format.ReplicaLogInfo {
	out := make([]format.ReplicaLogInfo, 0, len(r.m))
	for _, in := range r.m {
		out = append(out, *in)
	}
	return out
}
