package serversim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/format/plog"
	"github.com/waltool/waltool/format/rrdb"
	"github.com/waltool/waltool/format/slog"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/logrules"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/replay"
	"github.com/waltool/waltool/vfs"
)

// DefaultMutations is Options.Mutations's default.
const DefaultMutations = 16

// Options say which server writes, and how much.
type Options struct {
	// Version is the server that writes: V23 (the slog is the WAL, the plog
	// lags), V24, V25 or V26 (the plog is the WAL).
	Version pegasus.Version
	// Mutations is how many mutations each loaded replica's new primary
	// writes and acknowledges; 0 means DefaultMutations. A replica whose
	// prepared tail is longer writes that many, to re-propose all of it.
	Mutations int
	// Seed drives everything random: batch sizes, the interleaving of
	// replicas, the plog lag, where the crash tears a block, payloads.
	// Equal roots, options and seeds give byte-identical files.
	Seed int64
	// MaxFileSize is where the plogs and the slog rotate
	// (log_private_file_size_mb, log_shared_file_size_mb); 0 means
	// format.DefaultMaxFileSize.
	MaxFileSize int64
	// Start, if set, is the replay of the root under Version that the
	// caller already ran (replay.Run over the same root, before any write:
	// its Replicas in the root's order): the server's start then costs no
	// second read of the logs.
	Start *replay.Result
}

// Acked is one write the server acknowledged to its client.
type Acked struct {
	Gpid   gpid.Gpid
	Decree int64
	Ballot int64
	// Hash is the mutation's content hash: hex SHA-256 of its encoding with
	// log_offset 0 (as migrate hashes recovered streams), so that the same
	// mutation read from the slog or a plog hashes the same.
	Hash string
	// SlogOffset is its log_offset in the slog (2.3), -1 when the server
	// wrote no slog.
	SlogOffset int64
	// InPlog: its replica's plog holds it at the crash. Always true for
	// 2.4+; under 2.3 false for the lagging tail, which only the slog has.
	InPlog bool
}

// Result is what Write did.
type Result struct {
	// Acked lists every acknowledged write, in acknowledgement order.
	Acked []Acked
	// Files are the files written, in order: new log files and rewritten
	// .init-info files.
	Files []string
	// Torn are the log files whose last block is the crash's torn,
	// unacknowledged block.
	Torn []string
	// SlogStart is the global slog offset of the first new slog mutation
	// (2.3); 0 when no slog was written.
	SlogStart int64
	// Lagged counts the acknowledged writes missing from their plog at
	// the crash (2.3): only the slog has them.
	Lagged int
	// Repaired counts the slog mutations the start's slog replay appended
	// to the plogs before any new write (<= 2.5, replica::replay_mutation).
	Repaired int
}

// Write starts a server of opts.Version on root, read through fsys as the
// server reads it at start (root is re-opened over fsys; a replay under
// that version gives each loaded replica's committed decree, ballot and max
// decree), lets every loaded replica's new primary write and acknowledge
// opts.Mutations mutations through fsys, and crashes it with a torn,
// unacknowledged write. It refuses a root the server would not start on,
// or would start with every replica inactive (2.3's "some shared log state
// must be lost"): the next writes would then come after learning, which
// this does not simulate.
func Write(fsys vfs.FS, root *dataroot.Root, opts Options) (*Result, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	r, err := root.Reopen(fsys)
	if err != nil {
		return nil, err
	}
	// replica_stub::initialize: every plog, then (<= 2.5) the slog.
	start := o.Start
	if start == nil {
		if start, err = replay.Run(r, replay.Options{Version: o.Version}); err != nil {
			return nil, err
		}
	} else if start.ServerVersion != o.Version || len(start.Replicas) != len(r.Replicas) {
		return nil, fmt.Errorf("serversim: Options.Start is a %s replay of %d replicas, not the %s start of this root's %d", start.ServerVersion, len(start.Replicas), o.Version, len(r.Replicas))
	}
	if err := startable(start); err != nil {
		return nil, err
	}
	s := newSim(fsys, o)
	repair := false
	var plogs []plog.Replica
	for i, rr := range start.Replicas {
		if rr.Error != "" {
			continue // not loaded: the server moves it to .err
		}
		rp := s.addReplica(r.Replicas[i], rr)
		repair = repair || rr.AppendedFromSlog > 0
		pr := plog.Replica{Gpid: rp.g, Dir: rp.dr.PlogDir, Disk: rp.dr.DataDir.Path,
			ValidStartOffset: rp.dr.InitInfo.InitOffsetInPrivateLog, LastCommittedDecree: rr.DurableDecree}
		if len(rr.Plog.Removed) == 0 {
			// The start replay read the plog as ReadState would.
			pr.State = &plog.State{LastIndex: rr.Plog.LastIndex, EndOffset: rr.Plog.EndOffset, MaxDecree: rr.Plog.MaxDecree}
		}
		plogs = append(plogs, pr)
	}
	if len(s.reps) == 0 {
		return s.res, nil
	}
	// mutation_log::open of each plog (replica::init_app_and_prepare_list):
	// the first append after it starts log.<last+1>.<end>. Appends are
	// synced before they are acknowledged: the 2.3 plog writer fsyncs every
	// batch (mutation_log_private::commit_pending_mutations), and 2.4+
	// acknowledge a write once its plog append completes.
	s.plogs, err = plog.Open(plogs, plog.Options{FS: fsys, Sync: plog.SyncBatch, MaxFileSize: o.MaxFileSize})
	if err != nil {
		return nil, fmt.Errorf("serversim: the %s server opens the plogs: %w", o.Version, err)
	}
	defer func() {
		if s.plogs != nil {
			s.plogs.Close()
		}
	}()
	for _, rp := range s.reps {
		st, _ := s.plogs.Replica(rp.g)
		rp.plog = logPos{dir: rp.dr.PlogDir, lastIndex: st.LastIndex, end: st.EndOffset}
	}
	if repair && o.Version != pegasus.V26 {
		if err := s.repairPlogs(r); err != nil {
			return nil, err
		}
	}
	if err := s.newBallots(); err != nil {
		return nil, err
	}
	if o.Version == pegasus.V23 {
		err = s.write23(r, start)
	} else {
		err = s.writePlogs()
	}
	if err != nil {
		return nil, err
	}
	return s.res, nil
}

func (o Options) withDefaults() (Options, error) {
	switch o.Version {
	case pegasus.V23, pegasus.V24, pegasus.V25, pegasus.V26:
	default:
		return o, fmt.Errorf("serversim: server version %q: want 2.3, 2.4, 2.5 or 2.6", o.Version)
	}
	if o.Mutations < 0 || o.MaxFileSize < 0 {
		return o, fmt.Errorf("serversim: negative option in %+v", o)
	}
	if o.Mutations == 0 {
		o.Mutations = DefaultMutations
	}
	if o.MaxFileSize == 0 {
		o.MaxFileSize = format.DefaultMaxFileSize
	}
	return o, nil
}

// ErrWontStart: the server does not start on the root in a state that
// takes writes (it aborts, refuses the slog, or marks every replica
// inactive): a verdict on the root, not a failure to simulate.
var ErrWontStart = errors.New("serversim: the server does not start to take writes")

// startable refuses a start the simulation cannot continue from.
func startable(res *replay.Result) error {
	v := res.ServerVersion
	switch {
	case res.Abort != "":
		return fmt.Errorf("%w: the %s server aborts at start: %s", ErrWontStart, v, res.Abort)
	case res.Slog != nil && res.Slog.Read && res.Slog.Error != "":
		// replica_stub::initialize moves every replica to .err.
		return fmt.Errorf("%w: the %s server fails to open the slog: %s", ErrWontStart, v, res.Slog.Error)
	case res.AllInactive:
		return fmt.Errorf("%w: the %s server marks every replica inactive at start (some shared log state must be lost): its next writes come after learning", ErrWontStart, v)
	}
	return nil
}

// valueBytes bounds the random part of a payload (tests raise it).
var valueBytes = 32

// simStartMicros is the clock of the new writes, 2025-06-15T15:06:40Z.
// Timestamps are informational (replay ignores them); a fixed start keeps
// them deterministic.
const simStartMicros = 1_750_000_000_000_000

type sim struct {
	fsys  vfs.FS
	o     Options
	rng   *rand.Rand // scheduling: batches, interleaving, lag, crash
	pay   *rand.Rand // payload bytes, apart so that a payload change does not reschedule
	clock int64
	res   *Result
	reps  []*rep // gpid order
	byG   map[gpid.Gpid]*rep
	plogs *plog.Writer
	buf   []byte
}

// rep is one loaded replica's new primary.
type rep struct {
	g       gpid.Gpid
	dr      *dataroot.Replica
	durable int64
	ballot  int64 // the new primary's
	next    int64 // next decree to propose
	last    int64 // last decree it acknowledges
	plogMax int64 // 2.3 only: decrees above it stay out of the plog (the lag)
	plog    logPos
	hdrMax  int64 // 2.3: max decree for the slog header (replay's, or the plog's when 0)
}

func newSim(fsys vfs.FS, o Options) *sim {
	return &sim{
		fsys:  fsys,
		o:     o,
		rng:   rand.New(rand.NewPCG(uint64(o.Seed), 0x5e5e_51a1_0000_0001)),
		pay:   rand.New(rand.NewPCG(uint64(o.Seed), 0x5e5e_51a1_0000_0002)),
		clock: simStartMicros,
		res:   &Result{Acked: []Acked{}, Files: []string{}, Torn: []string{}},
		byG:   map[gpid.Gpid]*rep{},
	}
}

// addReplica sets up the new primary of a loaded replica. After a restart
// a replica rejoins through a reconfiguration, so its primary has the next
// ballot and first re-proposes every decree from its committed one up to
// its prepare list's max decree (replica::replay_prepare_list: each through
// init_prepare at the new ballot), then proposes new writes. Pegasus copies
// a re-proposed decree's updates from the old prepared mutation (or fills a
// hole with an empty write); here every decree gets a new payload, since
// the updates change nothing in what the logs or a replay do with a
// mutation, and keeping the old ones would hold the prepared tails in
// memory. Its ballot alone makes a re-proposal differ from the old copy.
func (s *sim) addReplica(dr *dataroot.Replica, rr *replay.ReplicaResult) *rep {
	top := rr.CommittedDecree
	if n := len(rr.Prepared); n > 0 {
		top = max(top, rr.Prepared[n-1].Last)
	}
	n := max(int64(s.o.Mutations), top-rr.CommittedDecree)
	rp := &rep{g: dr.Gpid, dr: dr, durable: rr.DurableDecree, ballot: rr.Ballot + 1,
		next: rr.CommittedDecree + 1, last: rr.CommittedDecree + n, hdrMax: rr.Slog.MaxDecree}
	rp.plogMax = rp.last
	s.reps = append(s.reps, rp)
	s.byG[rp.g] = rp
	return rp
}

// repairPlogs appends to each plog what the start's slog replay appends
// (replica::replay_mutation, <= 2.5: a slog mutation above the plog's
// max_commit_on_disk is re-appended to the plog), before any new write. It
// replays the root again with replay's OnSlog hook, in batches of a few
// mutations per replica.
func (s *sim) repairPlogs(r *dataroot.Root) error {
	const batch = 32
	pending := map[gpid.Gpid][]*format.Mutation{}
	flush := func(rp *rep) error {
		ms := pending[rp.g]
		if len(ms) == 0 {
			return nil
		}
		err := s.appendPlog(rp, ms)
		clear(ms)
		pending[rp.g] = ms[:0]
		return err
	}
	_, err := replay.Run(r, replay.Options{Version: s.o.Version, OnSlog: func(sm replay.SlogMutation) error {
		rp := s.byG[sm.M.Gpid]
		if !sm.Appended || rp == nil {
			return nil
		}
		pending[rp.g] = append(pending[rp.g], sm.M.Clone())
		s.res.Repaired++
		if len(pending[rp.g]) >= batch {
			return flush(rp)
		}
		return nil
	}})
	if err != nil {
		return fmt.Errorf("serversim: the %s server's slog replay appends to the plogs: %w", s.o.Version, err)
	}
	for _, rp := range s.reps {
		if err := flush(rp); err != nil {
			return err
		}
	}
	return nil
}

// newBallots persists each new primary's ballot before it proposes
// (update_init_info_ballot_and_decree: .init-info gets the ballot and the
// app's durable decree; the offsets are kept).
func (s *sim) newBallots() error {
	for _, rp := range s.reps {
		ii := *rp.dr.InitInfo
		ii.InitBallot, ii.InitDurableDecree = rp.ballot, rp.durable
		path := filepath.Join(rp.dr.Dir, dataroot.InitInfoFile)
		if err := dataroot.WriteInitInfo(s.fsys, path, ii); err != nil {
			return fmt.Errorf("serversim: %s: %w", rp.g, err)
		}
		s.res.Files = append(s.res.Files, path)
	}
	return nil
}

// mutation is the next proposal of rp's primary: one PUT of a small
// deterministic payload, committing the decree before it (2PC pipelining:
// init_prepare stamps the primary's last committed decree, at best the
// decree before).
func (s *sim) mutation(rp *rep) *format.Mutation {
	d := rp.next
	rp.next++
	s.clock += 1 + s.rng.Int64N(100)
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
	val := make([]byte, 1+s.pay.IntN(valueBytes))
	for i := range val {
		val[i] = alphabet[s.pay.IntN(len(alphabet))]
	}
	data := rrdb.EncodePut(rrdb.Put{
		HashKey: []byte("serversim." + rp.g.String()),
		SortKey: strconv.AppendInt([]byte("decree."), d, 10),
		Value:   val,
	}, 1)
	return &format.Mutation{
		Gpid: rp.g, Ballot: rp.ballot, Decree: d, LastCommittedDecree: d - 1, Timestamp: s.clock,
		Updates: []format.Update{{Code: rrdb.CodePut, SerializationType: rrdb.SerializationThriftBinary, Data: data}},
	}
}

// ack records an acknowledged write.
func (s *sim) ack(m *format.Mutation, slogOffset int64, inPlog bool) {
	var h string
	h, s.buf = contentHash(m, s.buf)
	s.res.Acked = append(s.res.Acked, Acked{Gpid: m.Gpid, Decree: m.Decree, Ballot: m.Ballot, Hash: h, SlogOffset: slogOffset, InPlog: inPlog})
	if !inPlog {
		s.res.Lagged++
	}
}

// contentHash is the hex SHA-256 of m encoded with log_offset 0; buf is
// scratch space, returned for reuse.
func contentHash(m *format.Mutation, buf []byte) (string, []byte) {
	off := m.LogOffset
	m.LogOffset = 0
	buf = m.Append(buf[:0])
	m.LogOffset = off
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:]), buf
}

// appendPlog appends ms to rp's plog as one batch and waits for it to be
// synced.
func (s *sim) appendPlog(rp *rep, ms []*format.Mutation) error {
	if err := s.plogs.Append(rp.g, ms...); err != nil {
		return err
	}
	st, _ := s.plogs.Replica(rp.g)
	if f := rp.plog.moved(st.LastIndex, st.EndOffset); f != "" {
		s.res.Files = append(s.res.Files, f)
	}
	return nil
}

// logPos follows where a log writer is: its newest file and where that
// file starts. A batch starts at most one file (format.LogWriter rotates
// before a batch, never within one).
type logPos struct {
	dir       string
	lastIndex int32
	end       int64
	file      string
	fileStart int64
}

// moved records a batch after which the log's newest file has index idx
// and its data ends at end; it returns the path of the file the batch
// started, if any.
func (p *logPos) moved(idx int32, end int64) string {
	created := ""
	if idx != p.lastIndex {
		p.file, p.fileStart = filepath.Join(p.dir, format.FileName(idx, p.end)), p.end
		created = p.file
	}
	p.lastIndex, p.end = idx, end
	return created
}

// tear is a crash in the middle of the write of the log's last batch, one
// block of blockLen bytes: the file is cut somewhere inside that block
// (its header or its body), which Pegasus's reader takes as a torn tail
// (ERR_INCOMPLETE_DATA, tolerated at the end of the last file).
type tear struct {
	path string
	size int64
}

func (s *sim) tearAt(p *logPos, blockLen int64) tear {
	blockStart := p.end - blockLen - p.fileStart
	return tear{path: p.file, size: blockStart + 1 + s.rng.Int64N(blockLen-1)}
}

func (s *sim) applyTears(ts []tear) error {
	for _, t := range ts {
		if err := s.fsys.Truncate(t.path, t.size); err != nil {
			return fmt.Errorf("serversim: crash: %w", err)
		}
		s.res.Torn = append(s.res.Torn, t.path)
	}
	return nil
}

// blockLen is the size of the one block a small batch is written as: a
// 16-byte block header and the mutations (a new block starts only past
// 1 MiB, log_appender::append_mutation).
func blockLen(ms ...*format.Mutation) int64 {
	n := int64(16)
	for _, m := range ms {
		n += int64(m.Size())
	}
	return n
}

// closePlogs closes the plog writer (it syncs what it wrote).
func (s *sim) closePlogs() error {
	w := s.plogs
	s.plogs = nil
	if err := w.Close(); err != nil {
		return fmt.Errorf("serversim: close plogs: %w", err)
	}
	return nil
}

// writePlogs is 2.4+: each replica's primary appends batches of a few
// mutations to its plog and acknowledges them once synced; replicas take
// turns at random. Then the server crashes during one more append to some
// replicas' plogs, unacknowledged and torn.
func (s *sim) writePlogs() error {
	active := s.activeReps()
	var ms []*format.Mutation
	for len(active) > 0 {
		i := s.rng.IntN(len(active))
		rp := active[i]
		b := min(int64(1+s.rng.IntN(4)), rp.last-rp.next+1)
		ms = ms[:0]
		for ; b > 0; b-- {
			ms = append(ms, s.mutation(rp))
		}
		if err := s.appendPlog(rp, ms); err != nil {
			return err
		}
		for _, m := range ms {
			s.ack(m, -1, true)
		}
		clear(ms)
		if rp.next > rp.last {
			active = slices.Delete(active, i, i+1)
		}
	}
	var tears []tear
	for _, rp := range s.crashSet() {
		m := s.mutation(rp)
		if err := s.appendPlog(rp, []*format.Mutation{m}); err != nil {
			return err
		}
		tears = append(tears, s.tearAt(&rp.plog, blockLen(m)))
	}
	if err := s.closePlogs(); err != nil {
		return err
	}
	return s.applyTears(tears)
}

func (s *sim) activeReps() []*rep {
	var out []*rep
	for _, rp := range s.reps {
		if rp.next <= rp.last {
			out = append(out, rp)
		}
	}
	return out
}

// crashSet picks the replicas with a write in flight at the crash: each
// with probability 1/2, at least one.
func (s *sim) crashSet() []*rep {
	var out []*rep
	for _, rp := range s.reps {
		if s.rng.IntN(2) == 0 {
			out = append(out, rp)
		}
	}
	if len(out) == 0 {
		out = append(out, s.reps[s.rng.IntN(len(s.reps))])
	}
	return out
}

// write23 is 2.3: the slog is opened (mutation_log::open, rdsn v2.3.0) and
// the primaries' mutations are group committed into it, interleaved,
// each acknowledged once its batch is written; after each batch the
// replicas' plogs are appended, except each replica's lagging tail, which
// has not reached its plog when the server crashes. The crash may tear one
// more, unacknowledged slog batch.
func (s *sim) write23(r *dataroot.Root, start *replay.Result) error {
	w, pos, err := s.openSlog(r, start)
	if err != nil {
		return err
	}
	defer w.Close()
	// The lag: a random tail of 0..n of each replica's acknowledged
	// mutations, at least one somewhere.
	lagged := false
	for _, rp := range s.reps {
		n := rp.last - rp.next + 1
		lag := s.rng.Int64N(n + 1)
		rp.plogMax = rp.last - lag
		lagged = lagged || lag > 0
	}
	if !lagged {
		rp := s.reps[s.rng.IntN(len(s.reps))]
		rp.plogMax = rp.last - 1
	}
	active := s.activeReps()
	var batch, own []*format.Mutation
	for len(active) > 0 {
		batch = batch[:0]
		for b := 1 + s.rng.IntN(8); b > 0 && len(active) > 0; b-- {
			i := s.rng.IntN(len(active))
			rp := active[i]
			batch = append(batch, s.mutation(rp))
			if rp.next > rp.last {
				active = slices.Delete(active, i, i+1)
			}
		}
		if err := w.Append(batch...); err != nil {
			return fmt.Errorf("serversim: slog: %w", err)
		}
		if f := pos.moved(w.LastIndex(), w.EndOffset()); f != "" {
			s.res.Files = append(s.res.Files, f)
		}
		if s.res.SlogStart == 0 {
			s.res.SlogStart = batch[0].LogOffset
		}
		for _, m := range batch {
			s.ack(m, m.LogOffset, m.Decree <= s.byG[m.Gpid].plogMax)
		}
		// replica::on_append_log_completed: each replica appends its part
		// of the batch to its plog, in order, unless it lags.
		for i, m := range batch {
			if m == nil {
				continue
			}
			rp := s.byG[m.Gpid]
			own = own[:0]
			for j := i; j < len(batch); j++ {
				if o := batch[j]; o != nil && o.Gpid == rp.g {
					if o.Decree <= rp.plogMax {
						own = append(own, o)
					}
					batch[j] = nil
				}
			}
			if len(own) > 0 {
				if err := s.appendPlog(rp, own); err != nil {
					return err
				}
			}
		}
		clear(batch)
		clear(own)
	}
	if err := s.closePlogs(); err != nil {
		return err
	}
	var tears []tear
	if s.rng.IntN(4) != 0 {
		// The crash hits the write of the next group commit.
		batch = batch[:0]
		for b := 1 + s.rng.IntN(3); b > 0; b-- {
			batch = append(batch, s.mutation(s.reps[s.rng.IntN(len(s.reps))]))
		}
		if err := w.Append(batch...); err != nil {
			return fmt.Errorf("serversim: slog: %w", err)
		}
		if f := pos.moved(w.LastIndex(), w.EndOffset()); f != "" {
			s.res.Files = append(s.res.Files, f)
		}
		tears = append(tears, s.tearAt(pos, blockLen(batch...)))
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("serversim: slog: %w", err)
	}
	return s.applyTears(tears)
}

// openSlog opens the slog as rdsn v2.3.0's mutation_log::open does: a
// missing dir is created; files whose block 0 is incomplete are renamed
// <name>.removed (log_file::open_read); the replay ends at the valid data's
// end, and the first batch starts log.<last index+1>.<that end>, or
// log.1.0 for an empty dir. The header map lists every loaded replica
// (set_valid_start_offset_on_open registers it with its
// init_offset_in_shared_log) with the max decree the slog replay rebuilt,
// which 2.3 replaces by the plog's when it is 0 (replica_stub::initialize).
func (s *sim) openSlog(r *dataroot.Root, start *replay.Result) (*slog.Writer, *logPos, error) {
	dir := r.SlogDir
	if dir == "" {
		return nil, nil, errors.New("serversim: the root has no slog dir for a 2.3 server to write")
	}
	var lastIndex int32
	var end int64
	d, err := format.OpenDir(s.fsys, dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := vfs.MkdirAllDurable(s.fsys, dir); err != nil {
			return nil, nil, fmt.Errorf("serversim: create the slog dir: %w", err)
		}
	case err != nil:
		return nil, nil, fmt.Errorf("serversim: slog: %w", err)
	default:
		l, err := logrules.Open(s.fsys, d)
		if err != nil {
			return nil, nil, fmt.Errorf("serversim: slog: %w", err)
		}
		for _, sk := range l.Skipped {
			if err := s.fsys.Rename(sk.File.Path, sk.File.Path+".removed"); err != nil {
				return nil, nil, fmt.Errorf("serversim: slog: %w", err)
			}
		}
		if len(l.Skipped) > 0 {
			if err := s.fsys.SyncDir(dir); err != nil {
				return nil, nil, fmt.Errorf("serversim: slog: %w", err)
			}
		}
		if n := len(l.Files); n > 0 {
			if start.Slog == nil {
				return nil, nil, fmt.Errorf("serversim: slog %s: not replayed at start", dir)
			}
			lastIndex, end = l.Files[n-1].Index, start.Slog.EndOffset
		}
	}
	infos := make([]format.ReplicaLogInfo, 0, len(s.reps))
	for _, rp := range s.reps {
		m := rp.hdrMax
		if m == 0 {
			st, _ := s.plogs.Replica(rp.g)
			m = st.MaxDecree
		}
		infos = append(infos, format.ReplicaLogInfo{Gpid: rp.g, MaxDecree: m, ValidStartOffset: rp.dr.InitInfo.InitOffsetInSharedLog})
	}
	// log_shared_force_flush is false by default: a batch is acknowledged
	// once written.
	w := slog.NewWriter(dir, lastIndex, end, infos, format.WriterOptions{MaxFileSize: s.o.MaxFileSize, FS: s.fsys})
	return w, &logPos{dir: dir, lastIndex: lastIndex, end: end}, nil
}
