package schema

// GC is the document of `waltool gc --json`, the dry run and --apply.
type GC struct {
	Envelope
	ServerVersion string `json:"server_version"`
	// Rule is the slog rule, "2.4" or "2.5"; absent under 2.6 (no slog GC).
	Rule string `json:"rule,omitempty"`
	// Log is "slog", "plog" or "all".
	Log string `json:"log"`
	// Now is the clock of log_private_reserve_max_time_seconds, RFC 3339.
	Now        string      `json:"now"`
	Limits     GCLimits    `json:"limits"`
	ServerDirs *ServerDirs `json:"server_dirs,omitempty"`
	// Files are the log files looked at, oldest first per log dir.
	Files    []GCFile    `json:"files"`
	Blockers []GCBlocker `json:"blockers"`
	// Blocked: a replica holds a file back (what --check exits 1 on).
	Blocked bool `json:"blocked"`
	// FlushCommand is the Pegasus shell command that flushes every blocked
	// replica of the server: remote_command -l IP:PORT
	// replica.trigger-checkpoint id1,id2,... (absent when none is blocked).
	FlushCommand string `json:"flush_command,omitempty"`
	// EmergencyCheckpoints are the gpids the server flushes by itself.
	EmergencyCheckpoints    []string  `json:"emergency_checkpoints"`
	EmergencyCheckpointsWhy string    `json:"emergency_checkpoints_why,omitempty"`
	SlogEmpties             bool      `json:"slog_empties"`
	ReclaimableFiles        int64     `json:"reclaimable_file_count"`
	ReclaimableBytes        int64     `json:"reclaimable_bytes"`
	Disks                   []GCDisk  `json:"disks"`
	Notes                   []string  `json:"notes"`
	Findings                []Finding `json:"findings"`
	// Reclaim is what --apply did (absent in a dry run).
	Reclaim *GCApplied `json:"reclaim,omitempty"`
}

// GCLimits are the server's GC settings ([replication] keys).
type GCLimits struct {
	LogPrivateReserveMaxSizeMB      int64 `json:"log_private_reserve_max_size_mb"`
	LogPrivateReserveMaxTimeSeconds int64 `json:"log_private_reserve_max_time_seconds"`
	LogSharedFileCountLimit         int64 `json:"log_shared_file_count_limit"`
	LogSharedGCFlushReplicasLimit   int64 `json:"log_shared_gc_flush_replicas_limit"`
}

// GCFile is one log file and the rule's verdict on it.
type GCFile struct {
	Path string `json:"path"`
	Log  string `json:"log"`
	// Gpid is a plog file's replica.
	Gpid  string `json:"gpid,omitempty"`
	Index int64  `json:"index"`
	Bytes int64  `json:"bytes"`
	// Verdict is "delete" or "keep".
	Verdict   string      `json:"verdict"`
	Reason    string      `json:"reason"`
	BlockedBy []GCHolding `json:"blocked_by"`
}

// GCHolding is a replica holding a file back, and the decrees that decide.
type GCHolding struct {
	Gpid          string `json:"gpid"`
	NeedsDecree   int64  `json:"needs_decree"`
	DurableDecree int64  `json:"durable_decree"`
	// MaxCommitOnDisk is the replica's plog max_commit_on_disk (slog GC).
	MaxCommitOnDisk *int64 `json:"max_commit_on_disk,omitempty"`
	// DupConfirmedDecree is a duplication's confirmed decree, when given.
	DupConfirmedDecree *int64 `json:"dup_confirmed_decree,omitempty"`
}

// GCBlocker is a replica that holds files back, and what releases it.
type GCBlocker struct {
	GCHolding
	Log string `json:"log"`
	// Path is the log dir held back.
	Path    string `json:"path"`
	Message string `json:"message"`
	// FileCount and Bytes are what the replica holds back.
	FileCount int64 `json:"file_count"`
	Bytes     int64 `json:"bytes"`
	// Release lists what releases the replica, as sentences.
	Release             []string `json:"release"`
	EmergencyCheckpoint bool     `json:"emergency_checkpoint"`
}

// GCDisk totals what can go per device.
type GCDisk struct {
	// Disk names the data dir tags (and "slog") on the device.
	Disk      string   `json:"disk"`
	Device    uint64   `json:"device"`
	Paths     []string `json:"paths"`
	FileCount int64    `json:"file_count"`
	Bytes     int64    `json:"bytes"`
}

// GCApplied is what gc --apply did.
type GCApplied struct {
	Dirs         []GCAppliedDir `json:"dirs"`
	RemovedFiles int64          `json:"removed_file_count"`
	RemovedBytes int64          `json:"removed_bytes"`
	FreedBytes   int64          `json:"freed_bytes"`
	// Complete: every planned file is gone.
	Complete bool `json:"complete"`
	// Refused: a re-check refused the run before it removed anything.
	Refused bool `json:"refused"`
	// StoppedAtPath is the file the run stopped at.
	StoppedAtPath string `json:"stopped_at_path,omitempty"`
}

// GCAppliedDir is one log dir's removals.
type GCAppliedDir struct {
	Path         string          `json:"path"`
	Files        []GCAppliedFile `json:"files"`
	RemovedFiles int64           `json:"removed_file_count"`
	RemovedBytes int64           `json:"removed_bytes"`
	FreedBytes   int64           `json:"freed_bytes"`
}

// GCAppliedFile is one planned removal and its outcome.
type GCAppliedFile struct {
	Path  string `json:"path"`
	Index int64  `json:"index"`
	Bytes int64  `json:"bytes"`
	// Action is "delete", "move" (into the trash, one filesystem) or "copy"
	// (into the trash across filesystems, then delete).
	Action    string `json:"action"`
	TrashPath string `json:"trash_path,omitempty"`
	// Outcome is "done", "not-durable", "failed", "refused" or
	// "not-attempted".
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
}
