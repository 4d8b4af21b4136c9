package schema

// FixturesGen is the document of `waltool fixtures gen --json`. The
// manifest file it names is a file format of its own (manifest.json,
// fixtures.Manifest).
type FixturesGen struct {
	Envelope
	// Path is the generated data root.
	Path         string `json:"path"`
	ManifestPath string `json:"manifest_path"`
	// DataDirsValue is the value every command's --data-dirs takes.
	DataDirsValue string `json:"data_dirs_value"`
	SlogPath      string `json:"slog_path"`
	ReplicaCount  int64  `json:"replica_count"`
	FileCount     int64  `json:"file_count"`
	Mutations     int64  `json:"mutations"`
	Bytes         int64  `json:"bytes"`
	// Damage is the damage --corrupt made, as verify should find it.
	Damage *Finding `json:"damage,omitempty"`
}
