package dataroot

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
)

// ErrNotOneServer is the cause of every mismatch NotOneServer finds: the
// slog dir and the data dirs read do not hold one replica server's logs.
// IsNotOneServer tells those findings among others.
var ErrNotOneServer = errors.New("the slog and the replica dirs are not one server's")

// ErrPastSlogEnd is the cause of rule 2's mismatches (see NotOneServer):
// an init_offset_in_shared_log past the end of the slog's files.
var ErrPastSlogEnd = fmt.Errorf("%w: an init_offset_in_shared_log past the slog's end", ErrNotOneServer)

// IsNotOneServer reports whether f is one of NotOneServer's mismatches.
func IsNotOneServer(f finding.Finding) bool { return errors.Is(f.Err, ErrNotOneServer) }

// NotOneServer checks that the slog dir and the replica dirs of r belong
// to one replica server: the one check every command makes before it
// trusts them together (a write refuses on it unless forced, a read-only
// command reports it). It returns a Warning finding, caused by
// ErrNotOneServer, per loaded replica that contradicts the slog, and an
// Error finding per slog file whose header cannot be read. It reads block
// 0 of each slog file and nothing else.
//
// What a slog holds of the replicas of its own server (rdsn v2.3.0
// src/replica/mutation_log.cpp): the slog keeps, per replica it has loaded
// or created, the replica's valid start offset in the slog
// (_shared_log_info_map: set_valid_start_offset_on_open with .init-info's
// init_offset_in_shared_log when replica::init_app_and_prepare_list loads
// it; on_partition_reset, the slog's end then, when the replica is created
// or learns, which replication_app_base::update_init_info then stores in
// .init-info), and create_new_log_file writes the whole map into each new
// slog file's header. Offsets only grow, and a file created after an
// offset was taken starts at or past it. Two rules follow:
//
//  1. For every loaded replica with init_offset_in_shared_log X and every
//     slog file starting at S >= X, the file's header lists the replica
//     with valid_start_offset X. (A file starting before X was created
//     before the replica's last reset: it may list an older offset, or not
//     list the replica at all.)
//  2. X is not past the end of the slog's files: it was the slog's end when
//     it was taken. A server's own slog breaks this only when it lost its
//     tail after the offset was taken and has not written past it since (a
//     crash: the offset is the writer's in-memory end, _global_end_offset,
//     and the slog is not fsync'd by default, log_shared_force_flush =
//     false), or when its slog dir was emptied under its replicas: both are
//     said in the finding, and both deserve a look before a write (a 2.3
//     server skips what it writes below X, replica::replay_mutation).
//
// Files whose header lists no replica are skipped (a server with no
// replica, or the header-only start file of `migrate downgrade --to 2.3`),
// as are files whose block 0 is damaged (the server skips them too;
// verify reports them) and replicas the server does not load
// (ValidateReplica's fatal findings, no .init-info: registered nowhere).
// A slog dir with no log file says nothing (2.4+ collected it, or an
// upgrade archived it).
//
// Signals studied and left out, because a real server produces them:
//   - slog mutations of gpids no data dir holds: a partition that moved
//     away leaves them until the slog GC deletes their files (and 2.4 keeps
//     a lone last file forever), so a slog may hold only such gpids, and
//     then share none with the replicas created since;
//   - slog decrees far beyond the plog's, or unrelated to them: a 2.3 plog
//     lags its slog by whatever it had not written at a crash, a missing
//     plog dir by everything, and a 2.4+ plog runs ahead of a slog nobody
//     writes.
//
// It finds a mismatch, it never proves a match: two servers whose
// replicas were all created at the same offsets (a young cluster whose
// every replica sits at offset 0 on every server) cannot be told apart by
// these rules.
func (r *Root) NotOneServer() []finding.Finding {
	if !r.SlogExists {
		return nil
	}
	d, err := format.OpenDir(r.FS, r.SlogDir)
	if err != nil {
		return []finding.Finding{finding.New(finding.Error, r.SlogDir,
			"cannot list the slog dir (%v): whether it and the replica dirs are one server's is unknown", err).Because(err)}
	}
	var out []finding.Finding
	type header struct {
		file format.LogFile
		h    *format.FileHeader
	}
	var headers []header // ascending index, as OpenDir lists the files
	for _, lf := range d.Files {
		s, err := format.ReadHeader(r.FS, lf)
		if err != nil {
			out = append(out, finding.New(finding.Error, lf.Path,
				"cannot read its header (%v): whether the slog and the replica dirs are one server's is unknown", err).Because(err))
			continue
		}
		if s.Header == nil || len(s.Header.Entries) == 0 {
			continue
		}
		headers = append(headers, header{lf, s.Header})
	}
	if len(headers) == 0 {
		return out
	}
	last := d.Files[len(d.Files)-1]
	end := last.StartOffset + last.Size // not the valid end: a torn tail is a crash's, and rule 2 gives crashes the benefit of the doubt
	for _, rep := range r.Replicas {
		if rep.InitInfo == nil || finding.AnyFatal(ValidateReplica(rep)) {
			continue
		}
		x := rep.InitInfo.InitOffsetInSharedLog
		initInfo := filepath.Join(rep.Dir, InitInfoFile)
		if x > end {
			out = append(out, finding.New(finding.Warning, r.SlogDir,
				"%s says init_offset_in_shared_log %d, past the end %d of the slog files here, where the slog's end was when the offset was taken: "+
					"this slog is not this replica's server's (check --config, --slog-dir, --data-dirs), or it lost its tail since "+
					"(a 2.3 crash before the slog reached the offset, a slog dir emptied under its replicas)",
				initInfo, x, end).For(rep.Gpid).Because(ErrPastSlogEnd))
			continue
		}
		for _, h := range headers {
			if h.file.StartOffset < x {
				continue
			}
			e, listed := h.h.Lookup(rep.Gpid)
			if listed && e.ValidStartOffset == x {
				continue
			}
			what := "does not list replica " + rep.Gpid.String()
			if listed {
				what = fmt.Sprintf("lists replica %s with valid_start_offset %d", rep.Gpid, e.ValidStartOffset)
			}
			out = append(out, finding.New(finding.Warning, h.file.Path,
				"the header of this slog file %s, but %s says init_offset_in_shared_log %d, at or before the offset %d the file starts at: "+
					"the server that created the file wrote every replica it had registered, with its offset, in the header (mutation_log::create_new_log_file), "+
					"so this slog and this replica dir are not one server's (check --config, --slog-dir, --data-dirs)",
				what, initInfo, x, h.file.StartOffset).At(0).For(rep.Gpid).Because(ErrNotOneServer))
			break // the oldest file that disagrees says it
		}
	}
	return out
}
