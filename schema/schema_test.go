package schema_test

import (
	"encoding/json"
	"io/fs"
	"sort"
	"strings"
	"testing"

	"github.com/waltool/waltool/internal/schematest"
	"github.com/waltool/waltool/schema"
)

// The schema files compile with a real validator (draft 2020-12), and
// every key they name is in the vocabulary with the same type: one key,
// one meaning, one type, whichever command prints it.
func TestSchemaFilesAndVocabularyAgree(t *testing.T) {
	vocab, err := schematest.Load()
	if err != nil {
		t.Fatal(err)
	}
	if vocab.Version != schema.Version {
		t.Errorf("vocabulary version %q, want %q", vocab.Version, schema.Version)
	}
	files := readSchemas(t)
	used := map[string]bool{}
	for name, doc := range files {
		walkProperties(doc, func(key string, prop any) {
			used[key] = true
			w, ok := vocab.Keys[key]
			if !ok {
				t.Errorf("%s: key %q is not in vocabulary.json", name, key)
				return
			}
			if typ := typeOf(files, name, prop); typ != "" && typ != w.Type {
				t.Errorf("%s: key %q is %s, vocabulary.json says %s", name, key, typ, w.Type)
			}
		})
	}
	var unused []string
	for k := range vocab.Keys {
		if !used[k] {
			unused = append(unused, k)
		}
	}
	sort.Strings(unused)
	if len(unused) > 0 {
		t.Errorf("vocabulary.json keys no schema uses: %v", unused)
	}
}

// The vocabulary's naming rules: the retired synonyms stay retired, a
// byte size and a decree are integers.
func TestVocabularyNames(t *testing.T) {
	vocab, err := schematest.Load()
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range vocab.Keys {
		if w.Meaning == "" {
			t.Errorf("%q has no meaning", k)
		}
		for _, bad := range []string{"dir", "from_dir", "to_dir", "plog_dir", "size", "severity", "max_commit", "plog_max_commit", "file"} {
			if k == bad {
				t.Errorf("%q is a retired synonym (docs/json.md)", k)
			}
		}
		if strings.HasSuffix(k, "_decree") && w.Type != "integer" || strings.HasSuffix(k, "_bytes") && w.Type != "integer" {
			t.Errorf("%q is %s", k, w.Type)
		}
	}
}

func readSchemas(t *testing.T) map[string]any {
	names, err := fs.Glob(schema.Files, "v1/*.schema.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no schema files: %v", err)
	}
	out := map[string]any{}
	for _, n := range names {
		b, err := fs.ReadFile(schema.Files, n)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		out[strings.TrimPrefix(n, "v1/")] = v
	}
	return out
}

// walkProperties calls f with every key any "properties" of doc names.
func walkProperties(doc any, f func(key string, prop any)) {
	switch x := doc.(type) {
	case map[string]any:
		if ps, ok := x["properties"].(map[string]any); ok {
			for k, p := range ps {
				f(k, p)
			}
		}
		for _, v := range x {
			walkProperties(v, f)
		}
	case []any:
		for _, v := range x {
			walkProperties(v, f)
		}
	}
}

// typeOf is the JSON type a property schema allows, following $refs; ""
// when it does not say one.
func typeOf(files map[string]any, in string, prop any) string {
	for range 10 {
		m, _ := prop.(map[string]any)
		ref, ok := m["$ref"].(string)
		if !ok {
			break
		}
		file, ptr, _ := strings.Cut(ref, "#")
		if file != "" {
			in = file
		}
		node := files[in]
		for _, part := range strings.Split(strings.Trim(ptr, "/"), "/") {
			node = node.(map[string]any)[part]
		}
		prop = node
	}
	m, _ := prop.(map[string]any)
	if t, ok := m["type"].(string); ok {
		return t
	}
	var vals []any
	if c, ok := m["const"]; ok {
		vals = []any{c}
	}
	if e, ok := m["enum"].([]any); ok {
		vals = e
	}
	typ := ""
	for _, v := range vals {
		switch v.(type) {
		case string:
			typ = "string"
		case float64:
			typ = "integer"
		case bool:
			typ = "boolean"
		}
	}
	return typ
}
