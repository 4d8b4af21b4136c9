package schema

// Replay is the document of `waltool replay --json`.
type Replay struct {
	Envelope
	ServerVersion string      `json:"server_version"`
	ServerDirs    *ServerDirs `json:"server_dirs,omitempty"`
	// Slog is the shared log's replay, absent when no slog was read.
	Slog *SlogReplay `json:"slog,omitempty"`
	// NoSlogRead says why no slog was read although the server may have
	// one; nothing is then called safe.
	NoSlogRead string          `json:"no_slog_read,omitempty"`
	Replicas   []ReplicaReplay `json:"replicas"`
	// Orphans are slog gpids no loaded replica owns: the server drops
	// their mutations.
	Orphans       []Orphan `json:"orphans"`
	MutationsRead int64    `json:"mutations_read"`
	// Abort is the CHECK the server would crash on while replaying.
	Abort string `json:"abort,omitempty"`
	// AllInactive is 2.3's verdict when a replica's slog and plog max
	// decrees disagree: every replica is marked inactive.
	AllInactive bool      `json:"all_inactive"`
	Findings    []Finding `json:"findings"`
}

// ReplicaReplay is one replica's replay.
type ReplicaReplay struct {
	Gpid string `json:"gpid"`
	// Path is the replica dir.
	Path string      `json:"path"`
	Plog PlogReplay  `json:"plog"`
	Slog SlogForGpid `json:"slog"`
	// AppendedFromSlog counts the slog mutations the server appends to the
	// plog (0 under 2.6).
	AppendedFromSlog int64 `json:"appended_from_slog"`
	// SlogOnlyDecrees are decrees above the durable one that only the slog
	// holds.
	SlogOnlyDecrees []Range `json:"slog_only_decrees"`
	DurableDecree   int64   `json:"durable_decree"`
	CommittedDecree int64   `json:"committed_decree"`
	Prepared        []Range `json:"prepared"`
	Holes           []Range `json:"holes"`
	// LostIfSlogIgnored is what a plog-only server (2.6) would not recover
	// that one reading the slog would.
	LostIfSlogIgnored []Range `json:"lost_if_slog_ignored"`
	// Lost is what the chosen version loses.
	Lost   []Range `json:"lost"`
	Ballot int64   `json:"ballot"`
	// LogIncomplete is 2.3's "some shared log state must be lost".
	LogIncomplete bool `json:"log_incomplete"`
	// Failure says why the server does not open the replica.
	Failure string `json:"failure,omitempty"`
}

// PlogReplay is a replica's private log as the server replays it.
type PlogReplay struct {
	MinDecree       int64 `json:"min_decree"`
	MaxDecree       int64 `json:"max_decree"`
	MaxCommitOnDisk int64 `json:"max_commit_on_disk"`
	Mutations       int64 `json:"mutations"`
	// FirstFile is the name of the file replay starts from.
	FirstFile string `json:"first_file,omitempty"`
	EndOffset int64  `json:"end_offset"`
	// LastIndex is the newest file's index: a writer continuing the log
	// starts log.<last_index+1>.<end_offset>.
	LastIndex int64 `json:"last_index"`
	// RemovedPaths are files mutation_log::open drops before replay.
	RemovedPaths []string `json:"removed_paths"`
}

// SlogForGpid is what the slog holds for one replica.
type SlogForGpid struct {
	Mutations int64 `json:"mutations"`
	MinDecree int64 `json:"min_decree"`
	MaxDecree int64 `json:"max_decree"`
}

// SlogReplay is the shared log's replay.
type SlogReplay struct {
	Path      string `json:"path"`
	FileCount int64  `json:"file_count"`
	FirstFile string `json:"first_file,omitempty"`
	Mutations int64  `json:"mutations"`
	EndOffset int64  `json:"end_offset"`
	// Read is false under 2.6, which ignores the slog.
	Read    bool   `json:"read"`
	Failure string `json:"failure,omitempty"`
}

// Orphan is a slog gpid no loaded replica owns.
type Orphan struct {
	Gpid      string `json:"gpid"`
	Mutations int64  `json:"mutations"`
	MinDecree int64  `json:"min_decree"`
	MaxDecree int64  `json:"max_decree"`
	Reason    string `json:"reason"`
}
