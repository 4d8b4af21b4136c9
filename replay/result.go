package replay

import (
	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/pegasus"
)

// Result is what a server of one version recovers from a data root.
type Result struct {
	ServerVersion pegasus.Version `json:"server_version"`
	// OK: every replica opens and nothing is lost under this version.
	OK       bool             `json:"ok"`
	Replicas []*ReplicaResult `json:"replicas"`
	Orphans  []Orphan         `json:"orphans"`
	// Slog describes the shared-log replay, absent when there is no slog.
	Slog *SlogResult `json:"slog,omitempty"`
	// MutationsRead counts the mutations replay delivered from every log,
	// accepted or not (the work done).
	MutationsRead int64 `json:"mutations_read"`
	// Abort is set when the server would crash while replaying (a CHECK).
	Abort string `json:"abort,omitempty"`
	// AllInactive is 2.3's verdict when some replica's slog and plog max
	// decrees disagree: every replica is marked inactive (not transient)
	// and must learn from its peers.
	AllInactive bool `json:"all_inactive,omitempty"`
	// Findings locate every reason the result is not OK (file, offset,
	// gpid), and the warnings: orphans, 2.3's inactive replicas.
	Findings []finding.Finding `json:"findings"`
	// ServerDirs are the slog dir and data dirs replayed and where each
	// came from (config, flag, path, default); absent for a replica dir.
	ServerDirs *dataroot.Sources `json:"server_dirs,omitempty"`
	// NoSlogRead is set when no slog was read although the server may
	// have one (missing, unreadable, or a replica dir replayed alone):
	// then nothing can be called safe, and OK is false.
	NoSlogRead string `json:"no_slog_read,omitempty"`

	abortErr error // the CHECK behind Abort, when the slog replay hit it
}

// ReplicaResult is one replica's replay.
type ReplicaResult struct {
	Gpid gpid.Gpid `json:"gpid"`
	Path string    `json:"path"` // the replica dir
	Plog struct {
		MinDecree int64 `json:"min_decree"`
		MaxDecree int64 `json:"max_decree"`
		MaxCommit int64 `json:"max_commit"` // max_commit_on_disk
		Mutations int   `json:"mutations"`  // accepted by replay
		// FirstFile is the file replay starts from (files before it are
		// kept but not replayed: their header max decree is covered).
		FirstFile string `json:"first_file,omitempty"`
		EndOffset int64  `json:"end_offset"`
		// LastIndex is the newest opened file's index: a writer continuing
		// the log starts log.<LastIndex+1>.<EndOffset>.
		LastIndex int32 `json:"last_index"`
		// Removed are the files mutation_log::open drops before replay
		// (an incomplete block 0; the server renames them .removed).
		Removed []string `json:"removed,omitempty"`
	} `json:"plog"`
	Slog struct {
		Mutations int   `json:"mutations"` // accepted for this replica
		MinDecree int64 `json:"min_decree"`
		MaxDecree int64 `json:"max_decree"`
	} `json:"slog"`
	// AppendedFromSlog counts the slog mutations the server appends to
	// this replica's plog (decree above the plog's max_commit_on_disk);
	// 0 under 2.6, which never reads the slog.
	AppendedFromSlog int64 `json:"appended_from_slog"`
	// SlogOnlyDecrees are decrees above the durable decree that the slog
	// holds for this replica and its plog does not.
	SlogOnlyDecrees []decrees.Range `json:"slog_only_decrees"`
	DurableDecree   int64           `json:"durable_decree"`
	// CommittedDecree is the app's last committed decree after replay.
	CommittedDecree int64 `json:"committed_decree"`
	// Prepared are the decrees left prepared above it, awaiting 2PC.
	Prepared []decrees.Range `json:"prepared"`
	// Holes are missing decrees between the committed one and the
	// highest prepared one: they must be learned from peers.
	Holes []decrees.Range `json:"holes"`
	// LostIfSlogIgnored: what a plog-only server (2.6) would not recover
	// that one reading the slog (2.4/2.5) would.
	LostIfSlogIgnored []decrees.Range `json:"lost_if_slog_ignored"`
	// Lost under the chosen version (LostIfSlogIgnored for 2.6).
	Lost   []decrees.Range `json:"lost"`
	Ballot int64           `json:"ballot"`
	// LogIncomplete is 2.3's "some shared log state must be lost".
	LogIncomplete bool   `json:"log_incomplete,omitempty"`
	Error         string `json:"error,omitempty"`
}

// Orphan counts slog mutations of a gpid that no loaded replica owns;
// replay drops them.
type Orphan struct {
	Gpid      gpid.Gpid `json:"gpid"`
	Mutations int       `json:"mutations"`
	MinDecree int64     `json:"min_decree"`
	MaxDecree int64     `json:"max_decree"`
	Reason    string    `json:"reason"`
}

// SlogResult describes the shared-log replay.
type SlogResult struct {
	Path      string `json:"path"` // the slog dir
	Files     int    `json:"files"`
	FirstFile string `json:"first_file,omitempty"`
	Mutations int    `json:"mutations"` // delivered by replay
	EndOffset int64  `json:"end_offset"`
	Error     string `json:"error,omitempty"`
	Read      bool   `json:"read"` // false for 2.6, which ignores it

	err     error // behind Error
	hookErr error // Options.OnSlog's error, returned by Run
}
