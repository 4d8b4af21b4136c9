package schema

// BenchCeiling is the document of `waltool bench ceiling --json`: every
// log file read with CRC-32C on all cores, the ceiling of verify.
type BenchCeiling struct {
	Envelope
	Path           string  `json:"path"`
	FileCount      int64   `json:"file_count"`
	Bytes          int64   `json:"bytes"`
	Cores          int64   `json:"cores"`
	Seconds        float64 `json:"seconds"`
	BytesPerSecond float64 `json:"bytes_per_second"`
}

// BenchVerify is the document of `waltool bench verify --json`: verify
// end to end against raw reads and raw CRC-32C over the same bytes.
type BenchVerify struct {
	Envelope
	Path      string `json:"path"`
	FileCount int64  `json:"file_count"`
	Bytes     int64  `json:"bytes"`
	Cores     int64  `json:"cores"`
	// Rates in bytes per second: reads only, read + CRC-32C on one core and
	// on all cores (the ceiling), and waltool verify end to end.
	ReadBytesPerSecond     float64 `json:"read_bytes_per_second"`
	CRC1CoreBytesPerSecond float64 `json:"crc32c_1core_bytes_per_second"`
	CRCBytesPerSecond      float64 `json:"crc32c_bytes_per_second"`
	VerifyBytesPerSecond   float64 `json:"verify_bytes_per_second"`
	VerifyVsCRC            float64 `json:"verify_vs_crc32c"`
	VerifyMaxRSSBytes      int64   `json:"verify_max_rss_bytes"`
	VerifyExitStatus       int64   `json:"verify_exit_status"`
}

// BenchReplay is the document of `waltool bench replay --json`.
type BenchReplay struct {
	Envelope
	Path               string  `json:"path"`
	ServerVersion      string  `json:"server_version"`
	MutationsRead      int64   `json:"mutations_read"`
	Seconds            float64 `json:"seconds"`
	MutationsPerSecond float64 `json:"mutations_per_second"`
	MaxRSSBytes        int64   `json:"max_rss_bytes"`
	ReplayExitStatus   int64   `json:"replay_exit_status"`
}

// BenchWrite is the document of `waltool bench write --json`.
type BenchWrite struct {
	Envelope
	Config  BenchWriteConfig `json:"config"`
	Results []BenchWriteMode `json:"results"`
	// Ratios compare the modes' throughput ("parallel/shared": 1.2).
	Ratios []Ratio `json:"ratios"`
}

// BenchWriteConfig is the workload.
type BenchWriteConfig struct {
	ReplicaCount int64    `json:"replica_count"`
	Clients      int64    `json:"clients"`
	ValueBytes   int64    `json:"value_bytes"`
	Seconds      float64  `json:"seconds"`
	Paths        []string `json:"paths"`
	Sync         string   `json:"sync"`
	Flush        string   `json:"flush"`
	Parallelism  int64    `json:"parallelism"`
	// NeighbourBytesPerSecond is the unsynced load of a neighbour writer.
	NeighbourBytesPerSecond int64 `json:"neighbour_bytes_per_second"`
	StartWriteback          bool  `json:"start_writeback"`
	Preallocate             bool  `json:"preallocate"`
	Cores                   int64 `json:"cores"`
}

// BenchWriteMode is one write mode's measurement.
type BenchWriteMode struct {
	Mode    string  `json:"mode"`
	Streams int64   `json:"streams"`
	Clients int64   `json:"clients"`
	Sync    string  `json:"sync"`
	Flush   string  `json:"flush,omitempty"`
	Ops     int64   `json:"ops"`
	Seconds float64 `json:"seconds"`
	QPS     float64 `json:"ops_per_second"`
	// LatencyUs are the write latencies in microseconds.
	LatencyUs Latency `json:"latency_us"`
	Writes    int64   `json:"writes"`
	Syncs     int64   `json:"syncs"`
	Bytes     int64   `json:"bytes"`
	Rounds    int64   `json:"rounds"`
	// Round splits a flush round of the plog writer.
	Round     *RoundSplit `json:"round,omitempty"`
	DeviceUse *DeviceUse  `json:"device_use,omitempty"`
	// Skipped says why the mode did not run.
	Skipped string `json:"skipped,omitempty"`
}

// Latency percentiles.
type Latency struct {
	Avg   float64 `json:"avg"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	P9999 float64 `json:"p9999"`
	Max   float64 `json:"max"`
}

// RoundSplit is where a flush round's time goes, in microseconds.
type RoundSplit struct {
	SettleUs float64 `json:"settle_us"`
	WriteUs  float64 `json:"write_us"`
	FlushUs  float64 `json:"flush_us"`
}

// DeviceUse is the block devices' work per op (from /proc/diskstats).
type DeviceUse struct {
	Devices      []string `json:"devices"`
	WritesPerOp  float64  `json:"writes_per_op"`
	BytesPerOp   float64  `json:"bytes_per_op"`
	FlushesPerOp float64  `json:"flushes_per_op"`
	BusyPct      float64  `json:"busy_pct"`
}

// Ratio is one named ratio.
type Ratio struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}
