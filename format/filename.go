package format

import (
	"fmt"
	"strconv"
	"strings"
)

// FileName is the name Pegasus gives a log file: log.<index>.<start_offset>,
// decimal, no padding (log_file::create_write, src/replica/log_file.cpp).
func FileName(index int32, startOffset int64) string {
	return "log." + strconv.FormatInt(int64(index), 10) + "." + strconv.FormatInt(startOffset, 10)
}

// ParseFileName parses a log file name as log_file::parse_log_file_name
// (HEAD) does: "log.", an int32 index up to the next dot, and an int64 start
// offset as the rest, both non-empty and fully numeric. Names it rejects
// (log.1.2.removed, log.1) are skipped by mutation_log::open.
func ParseFileName(name string) (index int32, startOffset int64, err error) {
	rest, ok := strings.CutPrefix(name, "log.")
	if !ok {
		return 0, 0, fmt.Errorf("log file name %q: want log.<index>.<start_offset>", name)
	}
	is, os, ok := strings.Cut(rest, ".")
	if !ok || !isDigits(is) || !isDigits(os) {
		return 0, 0, fmt.Errorf("log file name %q: want log.<index>.<start_offset>", name)
	}
	i, err := strconv.ParseInt(is, 10, 32)
	if err != nil {
		return 0, 0, fmt.Errorf("log file name %q: index: %w", name, err)
	}
	o, err := strconv.ParseInt(os, 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("log file name %q: start offset: %w", name, err)
	}
	return int32(i), o, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
