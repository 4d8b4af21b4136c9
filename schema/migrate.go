package schema

// Upgrade is the document of `waltool migrate upgrade --json` and of
// `migrate resume` on an upgrade.
type Upgrade struct {
	Envelope
	// Applied: the steps ran (false in a dry run).
	Applied    bool             `json:"applied"`
	ServerDirs *ServerDirs      `json:"server_dirs,omitempty"`
	Replicas   []UpgradeReplica `json:"replicas"`
	NotLoaded  []NotLoaded      `json:"not_loaded"`
	Slog       SlogArchive      `json:"slog"`
	Rebalance  *Rebalance       `json:"rebalance,omitempty"`
	Proof      *Proof           `json:"proof,omitempty"`
	Journal    *Run             `json:"journal,omitempty"`
	Rollback   *Rollback        `json:"rollback,omitempty"`
	Findings   []Finding        `json:"findings"`
}

// UpgradeReplica is what the upgrade folds into one replica's plog.
type UpgradeReplica struct {
	Gpid string `json:"gpid"`
	// Path is the replica dir.
	Path            string  `json:"path"`
	FoldedMutations int64   `json:"folded_mutations"`
	FoldedBytes     int64   `json:"folded_bytes"`
	FoldedDecrees   []Range `json:"folded_decrees"`
	// BeyondRuleDecrees are folded decrees beyond the server's append
	// rule that its replay still uses.
	BeyondRuleDecrees []Range   `json:"beyond_rule_decrees"`
	NewFiles          []NewFile `json:"new_files"`
}

// NewFile is a plog file the upgrade writes.
type NewFile struct {
	Path      string `json:"path"`
	Bytes     int64  `json:"bytes"`
	Mutations int64  `json:"mutations"`
	// MaxDecree and ValidStartOffset are the header's entry.
	MaxDecree        int64 `json:"max_decree"`
	ValidStartOffset int64 `json:"valid_start_offset"`
}

// NotLoaded is a replica dir the server does not load.
type NotLoaded struct {
	Gpid   string `json:"gpid"`
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// SlogArchive is the slog dir, the files a migration archives and where.
type SlogArchive struct {
	Path        string     `json:"path"`
	Files       []SlogFile `json:"files"`
	ArchivePath string     `json:"archive_path,omitempty"`
}

// SlogFile is one file of the slog dir.
type SlogFile struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

// Rebalance is the --rebalance plan: the data dirs before and after, the
// moves.
type Rebalance struct {
	DataDirs    []RebalanceDir `json:"data_dirs"`
	Moves       []Move         `json:"moves"`
	MovedBytes  int64          `json:"moved_bytes"`
	CopiedBytes int64          `json:"copied_bytes"`
}

// RebalanceDir is one data dir's load before and after.
type RebalanceDir struct {
	Path   string `json:"path"`
	Device uint64 `json:"device"`
	Before Load   `json:"before"`
	After  Load   `json:"after"`
}

// Load is what a data dir holds.
type Load struct {
	ReplicaCount int64 `json:"replica_count"`
	Bytes        int64 `json:"bytes"`
}

// Move is one replica dir moved between data dirs.
type Move struct {
	Gpid     string `json:"gpid"`
	FromPath string `json:"from_path"`
	ToPath   string `json:"to_path"`
	Bytes    int64  `json:"bytes"`
	// Copy: across filesystems (else one rename).
	Copy bool `json:"copy"`
}

// Proof compares what every replica recovers after a migration with what
// it recovered before.
type Proof struct {
	Equal            bool  `json:"equal"`
	ComparedReplicas int64 `json:"compared_replicas"`
	// Diff is the difference (-before +after) when not Equal.
	Diff  string `json:"diff,omitempty"`
	Abort string `json:"abort,omitempty"`
}

// Run is one migration run as its journal records it.
type Run struct {
	RunID string `json:"run_id"`
	// Kind is "upgrade" or "downgrade".
	Kind string `json:"kind"`
	// Args are the command line that began the run.
	Args      []string `json:"args"`
	StartedAt string   `json:"started_at"`
	Phases    []Phase  `json:"phases"`
	// State is "interrupted" (resume finishes it, rollback undoes it),
	// "finished", "rolling-back" or "rolled-back".
	State        string `json:"state"`
	StepsDone    int64  `json:"steps_done"`
	StepsPending int64  `json:"steps_pending"`
	StepsUndone  int64  `json:"steps_undone"`
	FinishedAt   string `json:"finished_at,omitempty"`
	RolledBackAt string `json:"rolled_back_at,omitempty"`
	// RollbackPossible says whether `migrate rollback` can still undo the
	// run (set by migrate status); RollbackRefused says why not.
	RollbackPossible *bool  `json:"rollback_possible,omitempty"`
	RollbackRefused  string `json:"rollback_refused,omitempty"`
	// WrittenForPath is the root the run's journal was written for, when
	// that is not the root named (a copy of it, or it moved): State is
	// then what the journal records of the run there, and resume and
	// rollback refuse it here.
	WrittenForPath string `json:"written_for_path,omitempty"`
}

// Phase is one phase of a run, done.
type Phase struct {
	Name   string `json:"name"`
	DoneAt string `json:"done_at"`
	// Seconds since the phase before (the first: since the run began).
	Seconds float64 `json:"seconds"`
}

// Rollback is what a rollback undid.
type Rollback struct {
	Steps []UndoneStep `json:"steps"`
	// AlreadyRolledBack: there was nothing to undo.
	AlreadyRolledBack bool `json:"already_rolled_back"`
	// Resumed: an interrupted rollback was finished.
	Resumed bool `json:"resumed"`
}

// UndoneStep is one step a rollback undid.
type UndoneStep struct {
	Step     int64  `json:"step"`
	Op       string `json:"op"`
	Path     string `json:"path"`
	FromPath string `json:"from_path,omitempty"`
	Action   string `json:"action"`
}

// Downgrade is the document of `waltool migrate downgrade --json` and of
// `migrate resume` on a downgrade.
type Downgrade struct {
	Envelope
	// Target is the server version the root is made safe for.
	Target  string `json:"target"`
	Applied bool   `json:"applied"`
	// RestoredSlogArchive: --restore-slog-archive rolled back the last
	// upgrade instead.
	RestoredSlogArchive bool               `json:"restored_slog_archive"`
	ServerDirs          *ServerDirs        `json:"server_dirs,omitempty"`
	Slog                DowngradeSlog      `json:"slog"`
	Replicas            []DowngradeReplica `json:"replicas"`
	PreviewProof        *DowngradeProof    `json:"preview_proof,omitempty"`
	Proof               *DowngradeProof    `json:"proof,omitempty"`
	Journal             *Run               `json:"journal,omitempty"`
	Rollback            *Rollback          `json:"rollback,omitempty"`
	Findings            []Finding          `json:"findings"`
}

// DowngradeSlog is what the downgrade makes of the slog dir.
type DowngradeSlog struct {
	SlogArchive
	// Create: the missing slog dir is created.
	Create bool `json:"create"`
	// StartFile is 2.3's header-only slog file.
	StartFile *StartFile `json:"start_file,omitempty"`
}

// StartFile is the header-only slog file a downgrade to 2.3 writes.
type StartFile struct {
	Path        string `json:"path"`
	StartOffset int64  `json:"start_offset"`
	// AboveInitOffset is the highest init_offset_in_shared_log it is at or
	// above.
	AboveInitOffset int64 `json:"above_init_offset"`
}

// DowngradeReplica is one replica in a downgrade.
type DowngradeReplica struct {
	Gpid    string   `json:"gpid"`
	Path    string   `json:"path"`
	Changes []string `json:"changes"`
	// Verdict is the proof's word on the replica.
	Verdict string `json:"verdict,omitempty"`
}

// DowngradeProof is a downgrade's proof: the target recovers what 2.6
// does, and its next writes survive a crash.
type DowngradeProof struct {
	Proof
	OK         bool        `json:"ok"`
	NextWrites *NextWrites `json:"next_writes,omitempty"`
}

// NextWrites is the simulated target writing, crashing and restarting.
type NextWrites struct {
	ServerVersion string `json:"server_version"`
	PerReplica    int64  `json:"per_replica"`
	Seed          int64  `json:"seed"`
	Acked         int64  `json:"acked"`
	// SlogStartOffset is where 2.3's simulated slog writes began.
	SlogStartOffset int64 `json:"slog_start_offset,omitempty"`
	// Lagged counts acknowledged writes only in the slog at the crash.
	Lagged int64 `json:"lagged"`
	// Lost are the acknowledged writes not found again.
	Lost []Finding `json:"lost"`
	// WontStart says why the target would not start to take writes.
	WontStart string `json:"wont_start,omitempty"`
}

// RollbackDoc is the document of `waltool migrate rollback --json`.
type RollbackDoc struct {
	Envelope
	Rollback *Rollback `json:"rollback,omitempty"`
	Journal  *Run      `json:"journal,omitempty"`
}

// Status is the document of `waltool migrate status --json`.
type Status struct {
	Envelope
	// Runs are the root's migration runs, newest first ([] when none ran).
	Runs []Run `json:"runs"`
}
